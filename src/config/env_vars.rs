//! `${VAR}` substitution in config strings, as OpenClaw does it: `${NAME}` (NAME matching
//! `[A-Z_][A-Z0-9_]*`) is replaced by the environment variable, `$${NAME}` is a literal `${NAME}`,
//! and anything else (`$x`, `${lower}`, a lone `$`) is left as written.

/// A referenced variable that is not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVar(pub String);

pub fn substitute(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, MissingVar> {
    if !text.contains("${") {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(name) = tail.strip_prefix("$$").and_then(reference_name) {
            // Escaped: keep one `$` and the reference as written.
            out.push_str(&tail[1..name.len() + 4]);
            rest = &tail[name.len() + 4..];
        } else if let Some(name) = reference_name(&tail[1..]) {
            out.push_str(&lookup(name).ok_or_else(|| MissingVar(name.to_string()))?);
            rest = &tail[name.len() + 3..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// For text starting with `{NAME}`, the NAME when it is a valid variable name.
fn reference_name(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('{')?;
    let end = inner.find('}')?;
    let name = &inner[..end];
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    (first_ok && rest_ok).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("abc".into()),
            "EMPTY" => Some(String::new()),
            "HOST_2" => Some("chat".into()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_and_escapes() {
        let cases = [
            ("${TOKEN}", "abc"),
            ("x-${TOKEN}-${HOST_2}", "x-abc-chat"),
            ("$${TOKEN}", "${TOKEN}"),
            ("a$${TOKEN}b${TOKEN}", "a${TOKEN}babc"),
            ("${EMPTY}", ""),
            ("$TOKEN ${lower} $ ${} ${1A}", "$TOKEN ${lower} $ ${} ${1A}"),
            ("price $5", "price $5"),
            ("${TOKEN", "${TOKEN"),
            ("héllo ${TOKEN} wörld", "héllo abc wörld"),
        ];
        for (input, expected) in cases {
            assert_eq!(substitute(input, &env).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn missing_variable_is_named() {
        assert_eq!(
            substitute("${NOPE}", &env),
            Err(MissingVar("NOPE".to_string()))
        );
    }
}
