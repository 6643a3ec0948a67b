//! A config written for OpenClaw's own Mattermost plugin (`@openclaw/mattermost` 2026.9.5)
//! passes `--check` against a working server: every key of its schema is accepted (top level
//! and under `accounts`), the SecretRef token is read, and the keys the bridge does not act on
//! yet are listed in one warning with the issue they wait on, never silently ignored (the
//! channel keys `groupPolicy`, `groupAllowFrom`, `groups`, `implicitMentions` are active;
//! `network` has no effect on purpose and is not listed).

use crate::support::*;
use fake_mattermost::*;
use serde_json::Value;

fn js_plugin_config(url: &str) -> String {
    format!(
        r#"{{
  channels: {{
    mattermost: {{
      name: "Team chat", enabled: true, baseUrl: "{url}",
      botToken: {{ source: "env", provider: "default", id: "JS_BOT_TOKEN" }},
      capabilities: ["threads"], dangerouslyAllowNameMatching: false, configWrites: false,
      markdown: {{ tables: "bullets" }}, contextVisibility: "all", historyLimit: 30,
      mediaMaxMb: 8, chatmode: "oncall", oncharPrefixes: [">"], requireMention: true,
      implicitMentions: {{ replyToBot: true, quotedBot: true, threadParticipation: false }},
      dmPolicy: "pairing", allowFrom: ["{ALICE_ID}", "@bob"],
      groupPolicy: "allowlist", groupAllowFrom: ["@bob"], textChunkLimit: 4000,
      streaming: {{ mode: "partial", chunkMode: "length" }},
      replyToMode: "first", replyToModeByChatType: {{ direct: "off", channel: "all" }},
      responsePrefix: "", actions: {{ messages: true, reactions: false }},
      commands: {{ native: "auto", nativeSkills: "auto" }},
      interactions: {{ callbackBaseUrl: "https://gateway.example.com" }},
      groups: {{ "*": {{ requireMention: true }}, "{TOWN_SQUARE}": {{ requireMention: false }} }},
      network: {{ dangerouslyAllowPrivateNetwork: true }},
      dmChannelRetry: {{ maxRetries: 3, initialDelayMs: 1000, maxDelayMs: 10000, timeoutMs: 30000 }},
      defaultAccount: "default",
      accounts: {{
        default: {{ name: "Main", dmPolicy: "pairing", groupPolicy: "allowlist" }},
        other: {{ baseUrl: "https://other.example.com", botToken: "${{OTHER_TOKEN}}",
                  dmPolicy: "open", groupPolicy: "open" }},
      }},
    }},
  }},
}}
"#
    )
}

#[test]
fn a_config_for_openclaws_own_plugin_passes_the_check() {
    let fake = FakeMattermost::start();
    let config = js_plugin_config(&fake.url());
    let env = [("JS_BOT_TOKEN", TOKEN), ("MATTERMOST_TEAM_ID", TEAM_ID)];
    let (code, stderr, out) = run_to_exit(Some(&config), &env, &["--check"]);
    assert_eq!(code, 0, "{out}\n{stderr}");
    assert!(!out.lines().any(|l| l.starts_with('✗')), "{out}");
    assert!(out.contains("botToken from env JS_BOT_TOKEN"), "{out}");
    // Every key of OpenClaw's own plugin is active now (interactions, the last, with issue 16's
    // buttons), or without effect on purpose (network): no line says "not active yet", and no
    // line warns of network.
    assert!(!out.contains("not active yet"), "{out}");
    assert!(!out.contains("network"), "{out}");
    assert!(!out.contains(TOKEN), "the token never appears");

    let (code, _, out) = run_to_exit(Some(&config), &env, &["--check", "--json"]);
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["ok"], true, "{report}");
}

#[test]
fn a_token_secret_the_bridge_cannot_resolve_names_its_source() {
    let config = js_plugin_config("https://chat.example.com").replace(
        r#"{ source: "env", provider: "default", id: "JS_BOT_TOKEN" }"#,
        r#"{ source: "file", provider: "vault", id: "/mattermost/token" }"#,
    );
    let (code, stderr, _) = run_to_exit(Some(&config), &[], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            r#"channels.mattermost.botToken uses secret source "file", which this bridge does not support yet"#
        ),
        "{stderr}"
    );
}
