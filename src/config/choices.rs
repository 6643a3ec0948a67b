//! The config's closed sets of words (`chatmode`, `dmPolicy`…) as Rust enums: each spelling is
//! written once, and `FromStr`, `Display` and the list the key table and error messages show
//! follow from it.

/// Declares an enum whose variants are config words; `Variant = "word" | "alias"` also accepts
/// the alias, and `Display` writes the first word.
macro_rules! choices {
    ($(#[$meta:meta])* $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $word:literal $(| $alias:literal)*,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every accepted spelling, in the order the documentation lists them.
            pub const NAMES: &'static [&'static str] = &[$($word, $($alias,)*)+];
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(text: &str) -> Result<Self, ()> {
                match text {
                    $($word $(| $alias)* => Ok($name::$variant),)+
                    _ => Err(()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $($name::$variant => $word,)+
                })
            }
        }
    };
}

choices! {
    /// `chatmode`: which channel posts reach the host.
    ChatMode {
        /// `oncall`: posts that mention the bot.
        Mention = "oncall",
        /// `onmessage` (or `always`): every post.
        EveryPost = "onmessage" | "always",
        /// `onchar`: posts starting with one of `oncharPrefixes` (and mentions).
        Prefix = "onchar",
    }
}

choices! {
    /// `dmPolicy`: who may open a conversation in a DM.
    DmPolicy {
        Allowlist = "allowlist",
        Open = "open",
        Disabled = "disabled",
        Pairing = "pairing",
    }
}

choices! {
    /// `groupPolicy`: which senders may address the bot in channels (not active yet).
    GroupPolicy {
        Open = "open",
        Disabled = "disabled",
        Allowlist = "allowlist",
    }
}

choices! {
    /// `replyToMode` (and each `replyToModeByChatType` entry): when a reply is threaded.
    ReplyToMode {
        Off = "off",
        First = "first",
        All = "all",
        Batched = "batched",
    }
}

choices! {
    /// `streaming` as a word, or its `mode`.
    StreamingMode {
        Off = "off",
        Partial = "partial",
        Block = "block",
        Progress = "progress",
    }
}

choices! {
    /// `contextVisibility`: whether posts of senders outside the allow lists are history
    /// context. `allowlist_quote` differs from `allowlist` only for quotes, which Mattermost
    /// never reports.
    ContextVisibility {
        All = "all",
        Allowlist = "allowlist" | "allowlist_quote",
    }
}

/// The smaller sets only the key table needs (values of keys that are not active yet).
pub const CHUNK_MODES: &[&str] = &["length", "newline"];
pub const COMMAND_TEXT: &[&str] = &["raw", "status"];
pub const TABLE_MODES: &[&str] = &["off", "bullets", "code", "block"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_and_print_back() {
        for name in ChatMode::NAMES {
            let mode: ChatMode = name.parse().unwrap();
            let shown = mode.to_string();
            assert_eq!(shown.parse::<ChatMode>(), Ok(mode), "{name}");
        }
        assert_eq!("always".parse(), Ok(ChatMode::EveryPost));
        assert_eq!(ChatMode::EveryPost.to_string(), "onmessage");
        assert_eq!(
            "Pairing".parse::<DmPolicy>(),
            Err(()),
            "words are case-sensitive"
        );
        assert_eq!(
            DmPolicy::NAMES,
            ["allowlist", "open", "disabled", "pairing"]
        );
        assert_eq!(ReplyToMode::Batched.to_string(), "batched");
    }
}
