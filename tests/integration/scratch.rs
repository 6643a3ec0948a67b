//! The static binary alone in an empty root, as in a `FROM scratch` container: no libc, no NSS
//! libraries, no `/dev`, no `/proc`; at most the `/etc/hosts` and `/etc/resolv.conf` that Docker
//! writes. It must connect by host name, log in, report `ready`, deliver a post and post a reply.
//!
//! Needs `OPENCLAW_MATTERMOST_STATIC_BIN` (a binary of `cross/build.sh`) and the right to
//! `chroot` (root) or `unshare --map-root-user --root`; without either each test prints why it
//! is skipped and passes, unless `OPENCLAW_MATTERMOST_SCRATCH_REQUIRED` is set (CI), which turns
//! a skip into a failure. With `OPENCLAW_MATTERMOST_RUNNER` (e.g. `qemu-aarch64-static` for an arm
//! binary) that program is copied into the root too and runs the binary there; it must be
//! statically linked itself, as Debian's qemu-user-static is.
//!
//! The container image of `cross/oci-image.sh` (`OPENCLAW_MATTERMOST_OCI_IMAGE`: the OCI layout
//! `.tar` of `cross/release.sh`, or an unpacked layout folder) is unpacked here by reading its
//! `index.json`, manifest, config and layers (no container tool), and the bridge runs from the
//! image's root filesystem with the image's entrypoint, user and environment, as Docker would
//! run it. `OPENCLAW_MATTERMOST_OCI_ARCH` (`amd64`, `arm64`, `arm`; default this machine's)
//! picks the image of the multi-platform index. Without the variable the test is skipped,
//! unless `OPENCLAW_MATTERMOST_SCRATCH_REQUIRED` is set.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What Docker writes, plus the name the tests use for the fake server.
const HOSTS: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
                     127.0.0.1\tmattermost.test mattermost\n";
/// A name server that does not exist (TEST-NET-1): names must come from /etc/hosts.
const RESOLV_CONF: &str = "nameserver 192.0.2.53\noptions timeout:1 attempts:1\n";

/// Why a test cannot run here; a failure instead of a skip when CI asks for these tests.
fn skip(reason: &str) {
    if std::env::var_os("OPENCLAW_MATTERMOST_SCRATCH_REQUIRED").is_some() {
        panic!("scratch test cannot run: {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// An empty root with the static binary at `/openclaw-mattermost`, a writable `/tmp`, and the
/// given files (path inside the root, contents).
struct Root {
    dir: TempDir,
    /// The command inside the root that runs the binary (`/openclaw-mattermost`, or the
    /// runner copied in, its arguments, then the binary).
    inside: Vec<OsString>,
}

impl Root {
    fn new(binary: &Path, files: &[(&str, &[u8])]) -> Root {
        let dir = TempDir::new();
        let inside = dir.0.join("openclaw-mattermost");
        copy_executable(binary, &inside);
        std::fs::set_permissions(&inside, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.0.join("tmp")).unwrap();
        std::fs::set_permissions(dir.0.join("tmp"), std::fs::Permissions::from_mode(0o1777))
            .unwrap();
        for (path, contents) in files {
            let path = dir.0.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        let runner = std::env::var("OPENCLAW_MATTERMOST_RUNNER").unwrap_or_default();
        let mut words = runner.split_whitespace();
        let mut inside: Vec<OsString> = Vec::new();
        if let Some(program) = words.next() {
            let found = find_program(program)
                .unwrap_or_else(|| panic!("OPENCLAW_MATTERMOST_RUNNER: {program} not found"));
            copy_executable(&found, &dir.0.join("runner"));
            inside.push("/runner".into());
            inside.extend(words.map(OsString::from));
        }
        inside.push("/openclaw-mattermost".into());
        Root { dir, inside }
    }

    /// The command line that runs `/openclaw-mattermost` inside this root.
    fn command_line(&self) -> Vec<OsString> {
        let root = self.dir.0.clone().into_os_string();
        // SAFETY: geteuid has no preconditions.
        let mut line: Vec<OsString> = if unsafe { libc::geteuid() } == 0 {
            vec!["chroot".into(), root]
        } else {
            let mut root_arg = OsString::from("--root=");
            root_arg.push(root);
            vec!["unshare".into(), "--map-root-user".into(), root_arg]
        };
        line.extend(self.inside.iter().cloned());
        line
    }

    /// None when the binary runs inside the root; else why not.
    fn check_runnable(&self) -> Option<String> {
        let line = self.command_line();
        let output = Command::new(&line[0])
            .args(&line[1..])
            .arg("--version")
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "{} failed ({}): {}",
                line[0].to_string_lossy(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => Some(format!("cannot run {}: {e}", line[0].to_string_lossy())),
        }
    }
}

/// `name` itself if it has a `/`, else the first match on `PATH`.
fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// The path in the environment variable `var`, or None (with `how_to_build` printed) when it is
/// unset: the tests that need it are skipped.
fn path_from_env(var: &str, how_to_build: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(path.exists(), "{var}={path:?} does not exist");
            Some(path)
        }
        _ => {
            skip(&format!("{var} is not set ({how_to_build})"));
            None
        }
    }
}

/// The static binary, or None (with the reason printed) when the tests cannot run.
fn static_binary() -> Option<PathBuf> {
    let path = path_from_env(
        "OPENCLAW_MATTERMOST_STATIC_BIN",
        "cross/build.sh x86_64 builds it",
    )?;
    assert!(
        path.is_file(),
        "OPENCLAW_MATTERMOST_STATIC_BIN={path:?} is no file"
    );
    Some(path)
}

/// Starts the bridge inside a root holding `files` and `/openclaw.json` (serverUrl
/// `server_url`, alice allowed, `extra_config` appended). None: skipped.
fn start_in_root(
    files: &[(&str, &[u8])],
    server_url: &str,
    extra_config: &str,
) -> Option<(Root, Bridge)> {
    let binary = static_binary()?;
    let config = config_text(
        server_url,
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {extra_config}"),
    );
    let mut all: Vec<(&str, &[u8])> = files.to_vec();
    all.push(("/openclaw.json", config.as_bytes()));
    let root = Root::new(&binary, &all);
    if let Some(reason) = root.check_runnable() {
        skip(&reason);
        return None;
    }
    let mut launch = Launch::new(String::new(), TOKEN);
    launch.command = root.command_line();
    launch.config = None;
    launch.args = vec!["--config".into(), "/openclaw.json".into()];
    // Launch points HOME and TMPDIR at a directory outside the root: move them inside. HOME
    // is `/`, as Docker sets it when the image has no user database.
    launch.env.push(("HOME".into(), "/".into()));
    launch.env.push(("TMPDIR".into(), "/tmp".into()));
    let bridge = Bridge::launch(launch);
    Some((root, bridge))
}

/// Connect, log in, `ready`, a DM delivered, a reply in its thread posted. `server_url` names
/// the fake by host name; for TLS pass an `https://` URL, `caFile: '/ca.pem'` in
/// `extra_config` and the CA in `files`.
fn full_round(
    fake: &FakeMattermost,
    files: &[(&str, &[u8])],
    server_url: &str,
    extra_config: &str,
) {
    let Some((root, bridge)) = start_in_root(files, server_url, extra_config) else {
        return;
    };
    // The default mediaDir without a home: this user's own folder in /tmp, owner-only.
    let media = root.dir.0.join("tmp/openclaw-mattermost-0/media");
    round_trip(fake, bridge, &media);
}

/// The round of `full_round` with a started bridge: `ready` (after which `media`, a path on
/// this side of the root, is an owner-only folder), a DM in, a reply out, a clean exit on EOF.
fn round_trip(fake: &FakeMattermost, mut bridge: Bridge, media: &Path) {
    let ready = bridge.wait_ready();
    let mode = std::fs::metadata(media).map(|m| m.permissions().mode());
    assert_eq!(mode.ok().map(|m| m & 0o777), Some(0o700), "{media:?}");
    assert_eq!(ready["params"]["transport"], "websocket");
    assert_eq!(ready["params"]["bot"]["id"], BOT_ID);
    let id = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hello from the host"));
    let message = bridge.next_message();
    assert_eq!(message["id"], id.as_str());
    assert_eq!(message["text"], "hello from the host");
    let result = bridge.call(
        "send",
        json!({"channelId": DM_ALICE, "text": "hello from scratch", "rootId": id}),
    );
    let reply_id = result["postIds"][0].as_str().unwrap().to_string();
    let posts = fake.posts();
    let reply = posts.iter().find(|p| p["id"] == reply_id.as_str()).unwrap();
    assert_eq!(reply["message"], "hello from scratch");
    assert_eq!(reply["root_id"], id.as_str());
    // The idempotency key came from the OS's randomness, without /dev/urandom.
    let pending = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path_only() == "/api/v4/posts")
        .unwrap()
        .json()["pending_post_id"]
        .clone();
    assert!(pending.as_str().is_some_and(|p| p.len() > 20), "{pending}");
    bridge.close_stdin();
    let status = bridge
        .wait_exit(WAIT)
        .expect("the bridge exits on stdin EOF");
    assert!(status.success(), "{status}\n{}", bridge.stderr());
    assert!(!bridge.stderr().contains("panicked"), "{}", bridge.stderr());
}

fn by_name(fake: &FakeMattermost, host: &str) -> String {
    format!("http://{host}:{}", fake.port())
}

#[test]
fn a_name_from_etc_hosts_in_an_empty_root() {
    let fake = FakeMattermost::start();
    let files: &[(&str, &[u8])] = &[
        ("/etc/hosts", HOSTS.as_bytes()),
        ("/etc/resolv.conf", RESOLV_CONF.as_bytes()),
    ];
    full_round(&fake, files, &by_name(&fake, "mattermost.test"), "");
}

#[test]
fn localhost_in_a_root_without_any_file() {
    let fake = FakeMattermost::start();
    full_round(&fake, &[], &by_name(&fake, "localhost"), "");
}

#[test]
fn an_unknown_name_without_files_is_a_clear_error() {
    let fake = FakeMattermost::start();
    let url = by_name(&fake, "mattermost.test");
    let Some((_root, mut bridge)) = start_in_root(&[], &url, "") else {
        return;
    };
    let status = bridge.status("reconnecting");
    let error = status["error"].as_str().unwrap_or_default().to_string();
    assert!(
        error.contains(
            "cannot resolve mattermost.test: there is no /etc/hosts and there is no /etc/resolv.conf"
        ),
        "{status}"
    );
    assert!(!bridge.stderr().contains("panicked"), "{}", bridge.stderr());
    assert!(fake.requests().is_empty(), "nothing reached the server");
}

#[test]
fn https_with_ca_file_in_an_empty_root() {
    // The fake's certificate is for `localhost` (tests/tls/), signed by the test CA, which the
    // bridge knows only from `caFile` inside the root: TLS with ring's randomness, no /dev.
    let fake = FakeMattermost::start_tls();
    assert!(fake.url().starts_with("https://localhost:"));
    let ca = std::fs::read(fake_mattermost::conn::test_ca_file()).expect("the test CA");
    let files: &[(&str, &[u8])] = &[
        ("/etc/hosts", HOSTS.as_bytes()),
        ("/etc/resolv.conf", RESOLV_CONF.as_bytes()),
        ("/ca.pem", &ca),
    ];
    full_round(&fake, files, &fake.url(), "caFile: '/ca.pem'");
}

// --- the OCI image of cross/oci-image.sh ------------------------------------------------------

const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The PATH Docker sets when an image's config has none.
const DOCKER_DEFAULT_PATH: &str =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The image (layout `.tar` or folder), or None (with the reason printed).
fn oci_image() -> Option<PathBuf> {
    path_from_env(
        "OPENCLAW_MATTERMOST_OCI_IMAGE",
        "cross/release.sh builds target/release-artifacts/openclaw-mattermost-<version>-oci.tar",
    )
}

/// The platform's architecture as OCI names it: `OPENCLAW_MATTERMOST_OCI_ARCH`, else this
/// machine's.
fn oci_arch() -> String {
    match std::env::var("OPENCLAW_MATTERMOST_OCI_ARCH") {
        Ok(arch) if !arch.is_empty() => arch,
        _ => match std::env::consts::ARCH {
            "x86_64" => "amd64".into(),
            "aarch64" => "arm64".into(),
            other => other.into(),
        },
    }
}

fn run_ok(command: &mut Command) -> Vec<u8> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `sha256:<hex>` of what `shell` (a pipeline ending in `sha256sum`) prints.
fn sha256_of(shell: &str, path: &Path) -> String {
    let out = run_ok(Command::new("sh").arg("-c").arg(shell).arg("sh").arg(path));
    let text = String::from_utf8_lossy(&out);
    format!(
        "sha256:{}",
        text.split_whitespace().next().unwrap_or_default()
    )
}

/// The file of a blob named by `descriptor`, checked against its size and digest.
fn blob_path(layout: &Path, descriptor: &Value) -> PathBuf {
    let digest = descriptor["digest"]
        .as_str()
        .expect("a descriptor has a digest");
    let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
    let path = layout.join("blobs/sha256").join(hex);
    let size = std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .len();
    assert_eq!(Some(size), descriptor["size"].as_u64(), "size of {digest}");
    assert_eq!(sha256_of("sha256sum < \"$1\"", &path), digest, "{path:?}");
    path
}

fn blob_json(layout: &Path, descriptor: &Value) -> Value {
    let bytes = std::fs::read(blob_path(layout, descriptor)).unwrap();
    serde_json::from_slice(&bytes).expect("a JSON blob")
}

/// An image unpacked as a container runtime does: its config, and its layers extracted in
/// order into `rootfs/` of `dir`.
struct Image {
    dir: TempDir,
    config: Value,
}

impl Image {
    fn unpack(image: &Path, arch: &str) -> Image {
        let dir = TempDir::new();
        let layout = if image.is_dir() {
            image.to_path_buf()
        } else {
            let layout = dir.0.join("layout");
            std::fs::create_dir(&layout).unwrap();
            run_ok(
                Command::new("tar")
                    .arg("-xf")
                    .arg(image)
                    .arg("-C")
                    .arg(&layout),
            );
            layout
        };
        let read = |name: &str| -> Value {
            serde_json::from_slice(&std::fs::read(layout.join(name)).unwrap()).unwrap()
        };
        assert_eq!(read("oci-layout")["imageLayoutVersion"], "1.0.0");
        let index = read("index.json");
        let tops = index["manifests"]
            .as_array()
            .expect("index.json lists manifests");
        assert_eq!(tops.len(), 1, "one entry, tagged with the version: {index}");
        let tag = &tops[0]["annotations"]["org.opencontainers.image.ref.name"];
        assert_eq!(tag, env!("CARGO_PKG_VERSION"), "{index}");
        // Through the multi-platform index to this platform's image.
        let mut descriptor = tops[0].clone();
        while descriptor["mediaType"] == INDEX_TYPE {
            let nested = blob_json(&layout, &descriptor);
            descriptor = nested["manifests"]
                .as_array()
                .and_then(|all| {
                    all.iter().find(|m| {
                        m["platform"]["os"] == "linux" && m["platform"]["architecture"] == arch
                    })
                })
                .unwrap_or_else(|| panic!("no linux/{arch} image in {nested}"))
                .clone();
        }
        assert_eq!(descriptor["mediaType"], MANIFEST_TYPE, "{descriptor}");
        let manifest = blob_json(&layout, &descriptor);
        let config = blob_json(&layout, &manifest["config"]);
        let layers = manifest["layers"]
            .as_array()
            .expect("the manifest lists layers");
        let diff_ids = config["rootfs"]["diff_ids"].as_array().expect("diff_ids");
        assert_eq!(layers.len(), diff_ids.len(), "{manifest}\n{config}");
        let rootfs = dir.0.join("rootfs");
        std::fs::create_dir(&rootfs).unwrap();
        // The layers hold executables: `tar`, a process of its own, writes them (see
        // `copy_executable`).
        for (layer, diff_id) in layers.iter().zip(diff_ids) {
            assert_eq!(layer["mediaType"], LAYER_TYPE, "{manifest}");
            let path = blob_path(&layout, layer);
            // What Docker checks on load: the uncompressed layer is the one the config names.
            assert_eq!(
                diff_id.as_str(),
                Some(sha256_of("gzip -dc < \"$1\" | sha256sum", &path).as_str())
            );
            run_ok(
                Command::new("tar")
                    .arg("-xzf")
                    .arg(&path)
                    .arg("-C")
                    .arg(&rootfs),
            );
        }
        Image { dir, config }
    }

    fn rootfs(&self) -> PathBuf {
        self.dir.0.join("rootfs")
    }

    fn strings(&self, key: &str) -> Vec<String> {
        match &self.config["config"][key] {
            Value::Null => vec![],
            value => value
                .as_array()
                .unwrap_or_else(|| panic!("config {key} is no list: {value}"))
                .iter()
                .map(|v| v.as_str().expect("a string").to_string())
                .collect(),
        }
    }

    /// The numeric `uid:gid` of `config.User` (a `scratch` image has no user database).
    fn user(&self) -> (u32, u32) {
        let user = self.config["config"]["User"].as_str().unwrap_or_default();
        user.split_once(':')
            .and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)))
            .unwrap_or_else(|| panic!("config User {user:?} is not a numeric uid:gid"))
    }
}

#[test]
fn the_oci_image_runs_from_its_root_filesystem_as_its_user() {
    use std::os::unix::fs::MetadataExt;
    let Some(path) = oci_image() else {
        return;
    };
    let arch = oci_arch();
    let image = Image::unpack(&path, &arch);
    let config = &image.config;
    assert_eq!(config["os"], "linux", "{config}");
    assert_eq!(config["architecture"], arch.as_str(), "{config}");
    // The Dockerfile's image: the binary as the entrypoint, no command, a non-root user, the
    // state in the /data volume.
    let entrypoint = image.strings("Entrypoint");
    assert_eq!(entrypoint, ["/openclaw-mattermost"], "{config}");
    assert_eq!(image.strings("Cmd"), Vec::<String>::new(), "{config}");
    let (uid, gid) = image.user();
    assert!(uid != 0 && gid != 0, "the image runs as root: {config}");
    let env = image.strings("Env");
    assert!(
        env.contains(&"OPENCLAW_STATE_DIR=/data".to_string()),
        "{env:?}"
    );
    assert!(config["config"]["Volumes"]["/data"].is_object(), "{config}");
    // Nothing but the binary: root's, executable by all, static (no interpreter to find).
    let rootfs = image.rootfs();
    let names: Vec<String> = std::fs::read_dir(&rootfs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["openclaw-mattermost"]);
    let binary = std::fs::metadata(rootfs.join("openclaw-mattermost")).unwrap();
    assert_eq!(binary.mode() & 0o7777, 0o755);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        // chroot --userspec: running as the image's user, and giving /data to it, needs root.
        skip("running the image as its user needs root (chroot --userspec)");
        return;
    }
    assert_eq!((binary.uid(), binary.gid()), (0, 0));

    // What `docker run -i -v state:/data -v ./openclaw.json:/config/openclaw.json:ro
    // -e TEST_BOT_TOKEN image --config /config/openclaw.json` adds: the two files Docker writes,
    // the volume (owned by the image's user, as docs/container.md prepares it), the config.
    let fake = FakeMattermost::start();
    let text = config_text(
        &by_name(&fake, "mattermost.test"),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}',"),
    );
    for (name, contents) in [
        ("etc/hosts", HOSTS),
        ("etc/resolv.conf", RESOLV_CONF),
        ("config/openclaw.json", text.as_str()),
    ] {
        let path = rootfs.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
    }
    let data = rootfs.join("data");
    std::fs::create_dir(&data).unwrap();
    std::os::unix::fs::chown(&data, Some(uid), Some(gid)).unwrap();
    let mut inside: Vec<OsString> = Vec::new();
    let runner = std::env::var("OPENCLAW_MATTERMOST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    if let Some(program) = words.next() {
        let found = find_program(program)
            .unwrap_or_else(|| panic!("OPENCLAW_MATTERMOST_RUNNER: {program} not found"));
        copy_executable(&found, &rootfs.join("runner"));
        inside.push("/runner".into());
        inside.extend(words.map(OsString::from));
    }
    inside.extend(entrypoint.iter().map(OsString::from));

    // The container's environment only: the image's, Docker's PATH and HOME, and `-e`.
    let mut line: Vec<OsString> = vec!["env".into(), "-i".into()];
    line.extend(env.iter().map(OsString::from));
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        line.push(DOCKER_DEFAULT_PATH.into());
    }
    line.push("HOME=/".into());
    line.push("RUST_LOG=openclaw_mattermost=debug".into());
    line.push(format!("TEST_BOT_TOKEN={TOKEN}").into());
    line.push("chroot".into());
    line.push(format!("--userspec={uid}:{gid}").into());
    line.push(rootfs.clone().into_os_string());
    line.extend(inside);

    let mut launch = Launch::new(String::new(), TOKEN);
    launch.command = line;
    launch.config = None;
    launch.env.clear();
    launch.args = vec!["--config".into(), "/config/openclaw.json".into()];
    let bridge = Bridge::launch(launch);
    let media = data.join("media/mattermost");
    round_trip(&fake, bridge, &media);
    // Written by the image's user, in the volume.
    let owner = std::fs::metadata(&media).unwrap();
    assert_eq!((owner.uid(), owner.gid()), (uid, gid), "{media:?}");
}
