//! The `openclaw-mattermost` binary; the program lives in the library (`src/lib.rs`).

fn main() {
    openclaw_mattermost::main();
}
