//! A JSON5 reader that produces [`serde_json::Value`].
//!
//! OpenClaw's config file is JSON5 (<https://spec.json5.org>), so plain
//! `serde_json::from_str` rejects real files. This module accepts the whole
//! JSON5 grammar: `//` and `/* */` comments, trailing commas, unquoted
//! (ECMAScript identifier) keys, single-quoted strings with the extra escapes
//! and line continuations, hexadecimal numbers, leading `+`, leading or
//! trailing decimal points, `Infinity` and `NaN`. Every plain JSON document
//! reads to the same value as with `serde_json`.
//!
//! Where JSON5 can say more than a `serde_json::Value` can hold:
//!
//! * `serde_json` has no non-finite numbers. A config value of `Infinity`
//!   means "no limit", so `Infinity` and `+Infinity` read as `f64::MAX` and
//!   `-Infinity` as `f64::MIN`; callers that clamp to their own range then get
//!   the largest (or smallest) value they allow. A finite literal too large
//!   for an `f64` (`1e999`) becomes infinite in JSON5 and is clamped the same
//!   way. `NaN` (with any sign) has no useful meaning for a setting and reads
//!   as `null`, i.e. "not set".
//! * Integers (decimal or hex) that fit an `i64` or `u64` become integer
//!   numbers; larger ones become the nearest `f64`, as in `serde_json`. `-0`
//!   reads as the float `-0.0`, again as in `serde_json`.
//! * A `\u` escape of a lone UTF-16 surrogate cannot be put in a Rust string
//!   and reads as U+FFFD.
//! * Duplicate keys are allowed; the last one wins.
//! * Octal escapes (`\1`, or `\0` followed by a digit) are errors, as the
//!   JSON5 spec says; any other escaped character stands for itself (`\q` is
//!   `q`).
//! * Unquoted keys: which non-ASCII characters count as letters follows
//!   Rust's Unicode `Alphabetic`/`Numeric` properties, a close approximation
//!   of the ECMAScript identifier rules that needs no Unicode tables.
//!
//! Nesting is limited to [`MAX_DEPTH`] levels so that a hostile or broken
//! file gives an error instead of overflowing the stack. Errors carry a
//! 1-based line and column (counted in characters).
//!
//! Why not the `json5` crate (1.3.7, weighed for issue 18 with this module's
//! tests as the conformance suite): it passes 22 of the 46 tests. It reads
//! `Infinity` (which the plugin passes for "no limit"), `1e999` and a
//! 400-digit integer as `null` ("not set"), `-0` as `0`, a lone `\uD800` as an
//! error; end-of-input errors have no position; it has no depth limit
//! (100,000 `[` abort the process with a stack overflow). It needs Rust 1.88
//! (let chains), so `cross/build.sh` (Debian's rustc 1.85) cannot build it.
//! Size, static x86_64, opt-level "s", LTO, one program reading a file into a
//! `Value`: serde_json alone 1,162,144 bytes, with this module 1,178,144
//! (+16,000), with the crate 1,205,984 (+43,840): 27,840 bytes more than this
//! module, when the whole x86_64 binary had under 11 KB left of its 3,000,000.

use serde_json::{Map, Number, Value};
use std::fmt;

/// Deepest nesting of objects and arrays accepted.
pub const MAX_DEPTH: usize = 128;

/// Parses a JSON5 document.
pub fn parse(input: &str) -> Result<Value, Error> {
    let mut parser = Parser::new(input);
    parser.skip_trivia()?;
    let value = parser.parse_value()?;
    parser.skip_trivia()?;
    match parser.peek() {
        None => Ok(value),
        Some(_) => Err(parser.unexpected("end of input after the value")),
    }
}

/// A syntax error with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What was expected or found.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for Error {}

/// Recursive-descent parser. `pos` is a byte offset into `input` that only
/// ever moves by whole characters, so slicing at it is always valid.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser {
            input,
            pos: 0,
            depth: 0,
        }
    }

    // ----- cursor -----

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Consumes `expected` if it is next.
    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos += expected.len_utf8();
            true
        } else {
            false
        }
    }

    /// Consumes characters while `pred` holds and returns them.
    fn take_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.bump();
        }
        self.input.get(start..self.pos).unwrap_or("")
    }

    // ----- errors -----

    fn error_at(&self, pos: usize, message: impl Into<String>) -> Error {
        let (line, column) = line_column(self.input, pos);
        Error {
            line,
            column,
            message: message.into(),
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        self.error_at(self.pos, message)
    }

    /// "expected X, found Y" at the current position.
    fn unexpected(&self, expected: &str) -> Error {
        self.error(format!(
            "expected {expected}, found {}",
            describe(self.peek())
        ))
    }

    // ----- whitespace and comments -----

    /// Skips whitespace, line terminators and comments: everything JSON5
    /// allows between tokens.
    fn skip_trivia(&mut self) -> Result<(), Error> {
        loop {
            match self.peek() {
                Some(c) if is_whitespace(c) || is_line_terminator(c) => {
                    self.bump();
                }
                Some('/') => self.skip_comment()?,
                _ => return Ok(()),
            }
        }
    }

    fn skip_comment(&mut self) -> Result<(), Error> {
        let start = self.pos;
        self.bump(); // '/'
        match self.bump() {
            Some('/') => {
                // The line terminator itself is left for skip_trivia.
                self.take_while(|c| !is_line_terminator(c));
                Ok(())
            }
            Some('*') => match self.rest().find("*/") {
                Some(end) => {
                    self.pos += end + "*/".len();
                    Ok(())
                }
                None => Err(self.error_at(start, "unterminated block comment")),
            },
            _ => Err(self.error_at(
                start,
                "expected '//' or '/*' to start a comment, found a lone '/'",
            )),
        }
    }

    // ----- values -----

    /// Parses one value; the cursor must be on its first character.
    fn parse_value(&mut self) -> Result<Value, Error> {
        match self.peek() {
            Some('{') => self.parse_object(),
            Some('[') => self.parse_array(),
            Some(quote @ ('"' | '\'')) => self.parse_string(quote).map(Value::String),
            Some(c) if c == '+' || c == '-' || c == '.' || c.is_ascii_digit() => {
                self.parse_number()
            }
            Some(c) if is_id_start(c) => self.parse_keyword(),
            _ => Err(self.unexpected("a value")),
        }
    }

    /// Counts one more nesting level, refusing to go past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        Ok(())
    }

    fn parse_object(&mut self) -> Result<Value, Error> {
        self.enter()?;
        self.bump(); // '{'
        let mut map = Map::new();
        loop {
            self.skip_trivia()?;
            // Reached first thing or after a comma, so a trailing comma is fine.
            if self.eat('}') {
                break;
            }
            let key = self.parse_key()?;
            self.skip_trivia()?;
            if !self.eat(':') {
                return Err(self.unexpected("':' after the key"));
            }
            self.skip_trivia()?;
            let value = self.parse_value()?;
            map.insert(key, value); // a duplicate key replaces the earlier value
            self.skip_trivia()?;
            if self.eat('}') {
                break;
            }
            if !self.eat(',') {
                return Err(self.unexpected("',' or '}'"));
            }
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    fn parse_array(&mut self) -> Result<Value, Error> {
        self.enter()?;
        self.bump(); // '['
        let mut items = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.eat(']') {
                break;
            }
            items.push(self.parse_value()?);
            self.skip_trivia()?;
            if self.eat(']') {
                break;
            }
            if !self.eat(',') {
                return Err(self.unexpected("',' or ']'"));
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    /// `true`, `false`, `null`, `Infinity` or `NaN` in value position.
    fn parse_keyword(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        match self.take_while(is_id_part) {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            "null" => Ok(Value::Null),
            "Infinity" => Ok(infinity(false)),
            "NaN" => Ok(Value::Null),
            word => Err(self.error_at(
                start,
                format!("unexpected word '{word}' (strings must be quoted)"),
            )),
        }
    }

    // ----- keys -----

    fn parse_key(&mut self) -> Result<String, Error> {
        match self.peek() {
            Some(quote @ ('"' | '\'')) => self.parse_string(quote),
            Some(c) if is_id_start(c) || c == '\\' => self.parse_identifier(),
            _ => Err(self.unexpected("a key or '}'")),
        }
    }

    /// An unquoted key: an ECMAScript IdentifierName, possibly with `\uXXXX`.
    fn parse_identifier(&mut self) -> Result<String, Error> {
        let mut name = String::new();
        loop {
            let at = self.pos;
            let c = match self.peek() {
                Some('\\') => self.identifier_escape()?,
                Some(c) if is_id_part(c) => {
                    self.bump();
                    c
                }
                _ => return Ok(name),
            };
            // Escapes must still spell a valid identifier character.
            let valid = if name.is_empty() {
                is_id_start(c)
            } else {
                is_id_part(c)
            };
            if !valid {
                return Err(self.error_at(
                    at,
                    format!("escaped character {c:?} is not allowed in an unquoted key"),
                ));
            }
            name.push(c);
        }
    }

    fn identifier_escape(&mut self) -> Result<char, Error> {
        let at = self.pos;
        self.bump(); // '\\'
        if !self.eat('u') {
            return Err(self.unexpected("'u' after '\\' in an unquoted key"));
        }
        let unit = self.read_hex(4)?;
        char::from_u32(unit).ok_or_else(|| {
            self.error_at(at, "a surrogate escape is not allowed in an unquoted key")
        })
    }

    // ----- strings -----

    fn parse_string(&mut self, quote: char) -> Result<String, Error> {
        let open = self.pos;
        self.bump(); // opening quote
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error_at(open, "unterminated string")),
                Some(c) if c == quote => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => self.parse_escape(open, &mut out)?,
                // U+2028/U+2029 are allowed raw in JSON5 strings; \n and \r not.
                Some('\n' | '\r') => {
                    return Err(
                        self.error("line break inside a string (close the quote or write \\n)")
                    )
                }
                Some(c) => {
                    self.bump();
                    out.push(c);
                }
            }
        }
    }

    /// Handles one backslash escape inside a string opened at `open`.
    fn parse_escape(&mut self, open: usize, out: &mut String) -> Result<(), Error> {
        let at = self.pos;
        self.bump(); // '\\'
        let Some(c) = self.bump() else {
            return Err(self.error_at(open, "unterminated string"));
        };
        match c {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => out.push('\0'),
            '0'..='9' => {
                return Err(self.error_at(
                    at,
                    format!("invalid escape '\\{c}' (octal escapes are not allowed)"),
                ))
            }
            'x' => {
                let byte = self.read_hex(2)?;
                out.push(char::from_u32(byte).unwrap_or('\u{FFFD}'));
            }
            'u' => self.unicode_escape(out)?,
            // Line continuation: the backslash and the line break vanish.
            '\r' => {
                self.eat('\n');
            }
            '\n' | '\u{2028}' | '\u{2029}' => {}
            // \' \" \\ and any other character stand for themselves.
            other => out.push(other),
        }
        Ok(())
    }

    /// The part of a `\uXXXX` escape after the `u`, joining surrogate pairs.
    fn unicode_escape(&mut self, out: &mut String) -> Result<(), Error> {
        let unit = self.read_hex(4)?;
        let c = match unit {
            0xD800..=0xDBFF => self.low_surrogate_after(unit),
            // A low surrogate without a high one before it.
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(unit),
        };
        out.push(c.unwrap_or('\u{FFFD}'));
        Ok(())
    }

    /// If a `\uXXXX` low surrogate follows, consumes it and returns the
    /// character the pair encodes; otherwise leaves the input alone.
    fn low_surrogate_after(&mut self, high: u32) -> Option<char> {
        let digits = self.rest().strip_prefix("\\u")?.get(..4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let low = u32::from_str_radix(digits, 16).ok()?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            return None;
        }
        self.pos += "\\u".len() + 4;
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }

    /// Reads exactly `count` hex digits.
    fn read_hex(&mut self, count: usize) -> Result<u32, Error> {
        let mut value = 0;
        for _ in 0..count {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(digit) => {
                    self.bump();
                    value = value * 16 + digit;
                }
                None => return Err(self.unexpected("a hex digit")),
            }
        }
        Ok(value)
    }

    // ----- numbers -----

    fn parse_number(&mut self) -> Result<Value, Error> {
        let negative = match self.peek() {
            Some('-') => {
                self.bump();
                true
            }
            Some('+') => {
                self.bump();
                false
            }
            _ => false,
        };
        let value = match self.peek() {
            Some(c) if is_id_start(c) => self.signed_keyword(negative)?,
            Some('0') if matches!(self.peek_second(), Some('x' | 'X')) => {
                self.parse_hex(negative)?
            }
            _ => self.parse_decimal(negative)?,
        };
        // ECMAScript forbids a number running straight into a name (`1a`).
        if self.peek().is_some_and(|c| is_id_part(c) || c == '\\') {
            return Err(self.error(format!(
                "unexpected {} after a number",
                describe(self.peek())
            )));
        }
        Ok(value)
    }

    /// `Infinity` or `NaN` after a sign.
    fn signed_keyword(&mut self, negative: bool) -> Result<Value, Error> {
        let start = self.pos;
        match self.take_while(is_id_part) {
            "Infinity" => Ok(infinity(negative)),
            "NaN" => Ok(Value::Null),
            _ => Err(self.error_at(
                start,
                "expected a number, 'Infinity' or 'NaN' after the sign",
            )),
        }
    }

    fn parse_hex(&mut self, negative: bool) -> Result<Value, Error> {
        self.bump(); // '0'
        self.bump(); // 'x' or 'X'
        let digits = self.take_while(|c| c.is_ascii_hexdigit());
        if digits.is_empty() {
            return Err(self.unexpected("a hex digit after '0x'"));
        }
        Ok(integer_value(digits, 16, negative))
    }

    fn parse_decimal(&mut self, negative: bool) -> Result<Value, Error> {
        let start = self.pos;
        let int_part = self.take_while(|c| c.is_ascii_digit());
        if int_part.len() > 1 && int_part.starts_with('0') {
            return Err(self.error_at(start, "leading zeros are not allowed in numbers"));
        }
        let has_point = self.eat('.');
        let fraction = if has_point {
            self.take_while(|c| c.is_ascii_digit())
        } else {
            ""
        };
        if int_part.is_empty() && fraction.is_empty() {
            return Err(if has_point {
                self.error_at(start, "expected a digit before or after '.'")
            } else {
                self.unexpected("a number")
            });
        }
        let exponent = self.parse_exponent()?;
        if !has_point && exponent.is_none() {
            return Ok(integer_value(int_part, 10, negative));
        }
        // Rebuild the literal in a form `f64::from_str` surely accepts.
        let text = format!(
            "{}.{}e{}",
            non_empty(int_part),
            non_empty(fraction),
            exponent.as_deref().unwrap_or("0")
        );
        let magnitude: f64 = text
            .parse()
            .map_err(|_| self.error_at(start, "invalid number"))?;
        Ok(float_value(if negative { -magnitude } else { magnitude }))
    }

    /// An optional `e`/`E` exponent; returns its sign and digits.
    fn parse_exponent(&mut self) -> Result<Option<String>, Error> {
        if !matches!(self.peek(), Some('e' | 'E')) {
            return Ok(None);
        }
        self.bump();
        let sign = if self.eat('-') {
            "-"
        } else {
            self.eat('+');
            ""
        };
        let digits = self.take_while(|c| c.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.unexpected("a digit in the exponent"));
        }
        Ok(Some(format!("{sign}{digits}")))
    }
}

// ----- number conversion -----

/// An integer literal's value: `u64`/`i64` when it fits, else the nearest
/// `f64` (what `serde_json` does with oversized integers).
fn integer_value(digits: &str, radix: u32, negative: bool) -> Value {
    match u64::from_str_radix(digits, radix) {
        // serde_json reads `-0` as the float -0.0; do the same.
        Ok(0) if negative => float_value(-0.0),
        Ok(magnitude) if !negative => Value::Number(magnitude.into()),
        Ok(magnitude) => match 0i64.checked_sub_unsigned(magnitude) {
            Some(value) => Value::Number(value.into()),
            None => float_value(-(magnitude as f64)),
        },
        Err(_) => {
            let magnitude = if radix == 10 {
                // Correctly rounded, unlike digit-by-digit accumulation.
                digits.parse().unwrap_or(f64::INFINITY)
            } else {
                digits
                    .chars()
                    .filter_map(|c| c.to_digit(radix))
                    .fold(0.0, |acc, d| acc * f64::from(radix) + f64::from(d))
            };
            float_value(if negative { -magnitude } else { magnitude })
        }
    }
}

/// A float as a JSON number; infinities clamp to the largest finite values
/// because serde_json cannot represent them (see the module docs).
fn float_value(value: f64) -> Value {
    let clamped = if value == f64::INFINITY {
        f64::MAX
    } else if value == f64::NEG_INFINITY {
        f64::MIN
    } else {
        value
    };
    Number::from_f64(clamped).map_or(Value::Null, Value::Number)
}

fn infinity(negative: bool) -> Value {
    float_value(if negative {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    })
}

fn non_empty(digits: &str) -> &str {
    if digits.is_empty() {
        "0"
    } else {
        digits
    }
}

// ----- character classes -----

/// JSON5 WhiteSpace: tab, vertical tab, form feed, space, no-break space,
/// byte order mark and the other Unicode space separators (Zs).
fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | ' ' | '\u{a0}' | '\u{feff}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// ECMAScript IdentifierStart (without the escape form).
fn is_id_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_alphabetic()
}

/// ECMAScript IdentifierPart (without the escape form): adds digits,
/// combining marks, connector punctuation, ZWNJ and ZWJ.
fn is_id_part(c: char) -> bool {
    is_id_start(c)
        || c.is_numeric()
        || matches!(
            c,
            '\u{200c}'
                | '\u{200d}'
                // Combining marks not already covered by `is_alphabetic`.
                | '\u{300}'..='\u{36f}'
                | '\u{1ab0}'..='\u{1aff}'
                | '\u{1dc0}'..='\u{1dff}'
                | '\u{20d0}'..='\u{20ff}'
                | '\u{fe20}'..='\u{fe2f}'
                // Connector punctuation (Pc) other than '_'.
                | '\u{203f}'
                | '\u{2040}'
                | '\u{2054}'
                | '\u{fe33}'
                | '\u{fe34}'
                | '\u{fe4d}'..='\u{fe4f}'
                | '\u{ff3f}'
        )
}

// ----- positions and messages -----

/// 1-based line and character column of byte offset `pos`. `\r\n` counts as
/// one line break, as do lone `\r`, U+2028 and U+2029.
fn line_column(input: &str, pos: usize) -> (usize, usize) {
    let before = input.get(..pos).unwrap_or(input);
    let mut line = 1;
    let mut column = 1;
    let mut previous = None;
    for c in before.chars() {
        match c {
            '\n' if previous == Some('\r') => {}
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
        previous = Some(c);
    }
    (line, column)
}

fn describe(c: Option<char>) -> String {
    match c {
        None => "end of input".to_string(),
        Some(c) => format!("{c:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(input: &str) -> Value {
        match parse(input) {
            Ok(value) => value,
            Err(e) => panic!("{input:?} failed: {e}"),
        }
    }

    /// The error's (line, column, message).
    fn err(input: &str) -> (usize, usize, String) {
        match parse(input) {
            Ok(value) => panic!("{input:?} should fail but gave {value}"),
            Err(e) => (e.line, e.column, e.message),
        }
    }

    fn err_at(input: &str, line: usize, column: usize, needle: &str) {
        let (l, c, message) = err(input);
        let shown: String = input.chars().take(80).collect();
        assert_eq!((l, c), (line, column), "{shown:?}: {message}");
        assert!(
            message.contains(needle),
            "{shown:?}: {message:?} lacks {needle:?}"
        );
    }

    fn float(value: f64) -> Value {
        Value::Number(Number::from_f64(value).unwrap())
    }

    // ----- comments and whitespace -----

    #[test]
    fn line_comments() {
        assert_eq!(ok("// head\n1 // tail"), json!(1));
        assert_eq!(ok("[1, // one\n 2]"), json!([1, 2]));
        assert_eq!(ok("{a // k\n: // c\n 1}"), json!({"a": 1}));
    }

    #[test]
    fn line_comment_ends_at_any_terminator() {
        for sep in ["\n", "\r", "\r\n", "\u{2028}", "\u{2029}"] {
            assert_eq!(ok(&format!("[1, // c{sep}2]")), json!([1, 2]), "{sep:?}");
        }
    }

    #[test]
    fn block_comments() {
        assert_eq!(
            ok("/* a */ [ /**/ 1 /* b\n c */, /***/ 2 ] /* end */"),
            json!([1, 2])
        );
        assert_eq!(ok("{/*x*/a/*y*/:/*z*/1/*w*/}"), json!({"a": 1}));
        // Block comments do not nest: the first */ ends it.
        assert_eq!(ok("/* /* */ 3"), json!(3));
        assert_eq!(ok("/* ** / */ 4"), json!(4));
    }

    #[test]
    fn unicode_whitespace() {
        let spaces = [
            '\t', '\u{b}', '\u{c}', ' ', '\u{a0}', '\u{feff}', '\u{1680}', '\u{2000}', '\u{2005}',
            '\u{200a}', '\u{202f}', '\u{205f}', '\u{3000}', '\n', '\r', '\u{2028}', '\u{2029}',
        ];
        for s in spaces {
            assert_eq!(
                ok(&format!("{s}[{s}1{s},{s}2{s}]{s}")),
                json!([1, 2]),
                "{s:?}"
            );
        }
    }

    #[test]
    fn byte_order_mark() {
        assert_eq!(ok("\u{feff}{\"a\": 1}"), json!({"a": 1}));
    }

    #[test]
    fn other_control_characters_are_not_whitespace() {
        err_at("[1,\u{85}2]", 1, 4, "expected a value");
        err_at("\u{0}1", 1, 1, "expected a value");
    }

    // ----- structure -----

    #[test]
    fn trailing_commas() {
        assert_eq!(ok("[1,2,]"), json!([1, 2]));
        assert_eq!(ok("{a:1,b:2,}"), json!({"a": 1, "b": 2}));
        assert_eq!(ok("[[],{},]"), json!([[], {}]));
        assert_eq!(ok("[ ]"), json!([]));
        assert_eq!(ok("{ }"), json!({}));
    }

    #[test]
    fn comma_errors() {
        err_at("[,]", 1, 2, "expected a value, found ','");
        err_at("{,}", 1, 2, "expected a key or '}', found ','");
        err_at("[1,,2]", 1, 4, "expected a value");
        err_at("{a:1,,}", 1, 6, "expected a key");
        err_at("[1 2]", 1, 4, "expected ',' or ']', found '2'");
        err_at("{a:1 b:2}", 1, 6, "expected ',' or '}', found 'b'");
        err_at("{a 1}", 1, 4, "expected ':' after the key, found '1'");
    }

    #[test]
    fn nested_values_and_literals() {
        assert_eq!(
            ok("{a:[true,false,null,{b:{c:[[]]}}],d:'x'}"),
            json!({"a": [true, false, null, {"b": {"c": [[]]}}], "d": "x"})
        );
    }

    #[test]
    fn duplicate_keys_last_wins() {
        assert_eq!(ok("{a:1, 'a':2, \"a\":3}"), json!({"a": 3}));
        assert_eq!(ok("{a:{x:1}, a:[2]}"), json!({"a": [2]}));
    }

    #[test]
    fn unknown_words_are_errors() {
        err_at("truex", 1, 1, "unexpected word 'truex'");
        err_at("[True]", 1, 2, "unexpected word 'True'");
        err_at("{a: yes}", 1, 5, "strings must be quoted");
        err_at("undefined", 1, 1, "undefined");
        err_at("infinity", 1, 1, "infinity");
    }

    // ----- keys -----

    #[test]
    fn unquoted_keys() {
        assert_eq!(
            ok("{a:1, $b:2, _c:3, d4:5, $:6, _:7, aB_$9:8}"),
            json!({"a": 1, "$b": 2, "_c": 3, "d4": 5, "$": 6, "_": 7, "aB_$9": 8})
        );
        // Reserved words are fine as keys in JSON5.
        assert_eq!(
            ok("{true:1, null:2, Infinity:3, NaN:4, if:5}"),
            json!({"true": 1, "null": 2, "Infinity": 3, "NaN": 4, "if": 5})
        );
    }

    #[test]
    fn unicode_keys() {
        assert_eq!(
            ok("{ключ:1, 名前:2, café:3, é\u{301}:4, a\u{200d}b:5, x‿y:6, ǅ:7}"),
            json!({"ключ": 1, "名前": 2, "café": 3, "é\u{301}": 4, "a\u{200d}b": 5, "x‿y": 6, "ǅ": 7})
        );
    }

    #[test]
    fn escaped_keys() {
        assert_eq!(ok(r"{\u0061b:1}"), json!({"ab": 1}));
        assert_eq!(ok(r"{a\u0062:1}"), json!({"ab": 1}));
        assert_eq!(ok(r"{\u00e9:1}"), json!({"é": 1}));
        err_at(r"{\u0031:1}", 1, 2, "not allowed in an unquoted key");
        err_at(r"{a\u002d:1}", 1, 3, "not allowed in an unquoted key");
        err_at(r"{\x61:1}", 1, 3, "expected 'u'");
        err_at(r"{\u00g1:1}", 1, 6, "expected a hex digit, found 'g'");
        err_at(r"{\ud800:1}", 1, 2, "surrogate");
    }

    #[test]
    fn quoted_keys() {
        assert_eq!(
            ok(r#"{"a b":1, 'c"d':2, "e'f":3, '':4, '\u0041':5}"#),
            json!({"a b": 1, "c\"d": 2, "e'f": 3, "": 4, "A": 5})
        );
    }

    #[test]
    fn invalid_keys() {
        err_at("{1:2}", 1, 2, "expected a key or '}', found '1'");
        err_at("{-a:2}", 1, 2, "expected a key");
        err_at("{a-b:2}", 1, 3, "expected ':' after the key, found '-'");
        err_at("{[]:2}", 1, 2, "expected a key");
    }

    // ----- strings -----

    #[test]
    fn string_quotes() {
        assert_eq!(ok(r#"'a"b'"#), json!("a\"b"));
        assert_eq!(ok(r#""a'b""#), json!("a'b"));
        assert_eq!(ok("''"), json!(""));
        assert_eq!(ok("\"\""), json!(""));
        assert_eq!(ok("'tab\there'"), json!("tab\there"));
    }

    #[test]
    fn simple_escapes() {
        assert_eq!(
            ok(r#"'\'\"\\\b\f\n\r\t\v\0'"#),
            json!("'\"\\\u{8}\u{c}\n\r\t\u{b}\0")
        );
        assert_eq!(ok(r"'\0x'"), json!("\0x"));
        assert_eq!(ok(r"'\/'"), json!("/"));
    }

    #[test]
    fn other_escaped_characters_stand_for_themselves() {
        assert_eq!(ok(r"'\q\a\z\ \é\😀'"), json!("qaz é😀"));
    }

    #[test]
    fn hex_and_unicode_escapes() {
        assert_eq!(ok(r"'\x41\x7a\xFF\xe9'"), json!("Az\u{ff}é"));
        assert_eq!(ok(r"'\u0041\u00e9\u4E2D\uFFFF'"), json!("Aé中\u{ffff}"));
        assert_eq!(ok(r"'\u0000'"), json!("\0"));
        err_at(r"'\x4'", 1, 5, "expected a hex digit, found '\\''");
        err_at(r"'\xg0'", 1, 4, "expected a hex digit, found 'g'");
        err_at(r"'\u12'", 1, 6, "expected a hex digit");
        err_at(r"'\u", 1, 4, "expected a hex digit, found end of input");
    }

    #[test]
    fn surrogate_pairs() {
        assert_eq!(ok(r"'\uD83D\uDE00'"), json!("😀"));
        assert_eq!(ok(r"'\ud83d\ude00x'"), json!("😀x"));
        assert_eq!(ok(r"'\uDBFF\uDFFF'"), json!("\u{10ffff}"));
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(ok(r"'\uD800'"), json!("\u{fffd}"));
        assert_eq!(ok(r"'\uD800x'"), json!("\u{fffd}x"));
        assert_eq!(ok(r"'\uDC00'"), json!("\u{fffd}"));
        assert_eq!(ok(r"'\uDC00\uD800'"), json!("\u{fffd}\u{fffd}"));
        // A high surrogate followed by a non-surrogate escape keeps that escape.
        assert_eq!(ok(r"'\uD800\u0041'"), json!("\u{fffd}A"));
        assert_eq!(ok(r"'\uD800\uD83D\uDE00'"), json!("\u{fffd}😀"));
        // ...or by a broken one, which is still reported.
        err_at(r"'\uD800\u00'", 1, 12, "expected a hex digit");
    }

    #[test]
    fn line_continuations() {
        for sep in ["\n", "\r\n", "\r", "\u{2028}", "\u{2029}"] {
            assert_eq!(ok(&format!("'ab\\{sep}cd'")), json!("abcd"), "{sep:?}");
        }
        // Only one line break is removed.
        assert_eq!(ok("'a\\\r\n\\\n b'"), json!("a b"));
    }

    #[test]
    fn raw_paragraph_separators_are_allowed_in_strings() {
        assert_eq!(ok("'a\u{2028}b\u{2029}c'"), json!("a\u{2028}b\u{2029}c"));
    }

    #[test]
    fn string_errors() {
        err_at("'abc", 1, 1, "unterminated string");
        err_at("[1, \"abc", 1, 5, "unterminated string");
        err_at("'abc\\", 1, 1, "unterminated string");
        err_at("'ab\ncd'", 1, 4, "line break inside a string");
        err_at("{\n  a: 'ab\r\n'}", 2, 9, "line break inside a string");
        err_at("'abc\"", 1, 1, "unterminated string");
        err_at(r"'\1'", 1, 2, "octal escapes");
        err_at(r"'\01'", 1, 2, "octal escapes");
        err_at(r"'\08'", 1, 2, "octal escapes");
    }

    // ----- numbers -----

    #[test]
    fn integers() {
        assert_eq!(ok("0"), json!(0));
        assert_eq!(ok("42"), json!(42));
        assert_eq!(ok("+42"), json!(42));
        assert_eq!(ok("-42"), json!(-42));
        assert_eq!(ok("9223372036854775807"), json!(i64::MAX));
        assert_eq!(ok("-9223372036854775808"), json!(i64::MIN));
        assert_eq!(ok("18446744073709551615"), json!(u64::MAX));
        assert!(ok("7").is_u64());
        assert!(ok("-7").is_i64());
    }

    #[test]
    fn oversized_integers_become_floats() {
        assert_eq!(ok("18446744073709551616"), float(18446744073709551616.0));
        assert_eq!(ok("-9223372036854775809"), float(-9223372036854775809.0));
        assert_eq!(ok("-18446744073709551616"), float(-18446744073709551616.0));
        assert_eq!(ok(&"9".repeat(400)), float(f64::MAX));
    }

    #[test]
    fn negative_zero_is_a_float_like_serde_json() {
        assert_eq!(ok("-0"), float(-0.0));
        assert_eq!(ok("-0"), serde_json::from_str::<Value>("-0").unwrap());
        assert_eq!(ok("+0"), json!(0));
        assert_eq!(ok("-0x0"), float(-0.0));
    }

    #[test]
    fn floats() {
        assert_eq!(ok("1.5"), float(1.5));
        assert_eq!(ok(".5"), float(0.5));
        assert_eq!(ok("5."), float(5.0));
        assert_eq!(ok("-.5"), float(-0.5));
        assert_eq!(ok("+5."), float(5.0));
        assert_eq!(ok("0.0"), float(0.0));
        assert_eq!(ok("1e3"), float(1000.0));
        assert_eq!(ok("1E+3"), float(1000.0));
        assert_eq!(ok("25e-2"), float(0.25));
        assert_eq!(ok("0e5"), float(0.0));
        assert_eq!(ok(".5e1"), float(5.0));
        assert_eq!(ok("5.e1"), float(50.0));
        assert_eq!(ok("-1.25E-1"), float(-0.125));
        assert_eq!(ok("1e-400"), float(0.0));
        assert!(ok("1.0").is_f64());
    }

    #[test]
    fn out_of_range_floats_clamp() {
        assert_eq!(ok("1e400"), float(f64::MAX));
        assert_eq!(ok("-1e400"), float(f64::MIN));
        assert_eq!(ok("1e99999999999999999999999"), float(f64::MAX));
    }

    #[test]
    fn hexadecimal() {
        assert_eq!(ok("0x1F"), json!(31));
        assert_eq!(ok("0X1f"), json!(31));
        assert_eq!(ok("0xff"), json!(255));
        assert_eq!(ok("-0x10"), json!(-16));
        assert_eq!(ok("+0xA"), json!(10));
        assert_eq!(ok("0x00FF"), json!(255));
        assert_eq!(ok("0xFFFFFFFFFFFFFFFF"), json!(u64::MAX));
        assert_eq!(ok("-0x8000000000000000"), json!(i64::MIN));
        assert_eq!(ok("0x10000000000000000"), float(18446744073709551616.0));
        assert_eq!(ok("-0x8000000000000001"), float(-9223372036854775809.0));
    }

    #[test]
    fn infinity_and_nan() {
        assert_eq!(ok("Infinity"), float(f64::MAX));
        assert_eq!(ok("+Infinity"), float(f64::MAX));
        assert_eq!(ok("-Infinity"), float(f64::MIN));
        assert_eq!(ok("NaN"), Value::Null);
        assert_eq!(ok("+NaN"), Value::Null);
        assert_eq!(ok("-NaN"), Value::Null);
        assert_eq!(
            ok("[Infinity,-Infinity,NaN]"),
            json!([f64::MAX, f64::MIN, null])
        );
        // Fits any "as u64/as f64 with clamp" reading of a limit.
        assert_eq!(ok("Infinity").as_f64(), Some(f64::MAX));
    }

    #[test]
    fn number_errors() {
        err_at("01", 1, 1, "leading zeros");
        err_at("-01", 1, 2, "leading zeros");
        err_at("[00]", 1, 2, "leading zeros");
        err_at("007.5", 1, 1, "leading zeros");
        err_at(".", 1, 1, "expected a digit before or after '.'");
        err_at("-.", 1, 2, "expected a digit before or after '.'");
        err_at("-", 1, 2, "expected a number, found end of input");
        err_at("+", 1, 2, "expected a number");
        err_at("++1", 1, 2, "expected a number, found '+'");
        err_at("+-1", 1, 2, "expected a number, found '-'");
        err_at("- 1", 1, 2, "expected a number, found ' '");
        err_at(
            "1e",
            1,
            3,
            "expected a digit in the exponent, found end of input",
        );
        err_at("1e+", 1, 4, "expected a digit in the exponent");
        err_at("1ex", 1, 3, "expected a digit in the exponent, found 'x'");
        err_at("0x", 1, 3, "expected a hex digit after '0x'");
        err_at("0xg", 1, 3, "expected a hex digit after '0x'");
        err_at("0x1g", 1, 4, "unexpected 'g' after a number");
        err_at("1a", 1, 2, "unexpected 'a' after a number");
        err_at("1.5f", 1, 4, "unexpected 'f' after a number");
        err_at("-foo", 1, 2, "'Infinity' or 'NaN'");
        err_at("-Infinityx", 1, 2, "'Infinity' or 'NaN'");
        err_at(
            "1.5.3",
            1,
            4,
            "expected end of input after the value, found '.'",
        );
        err_at("0b101", 1, 2, "unexpected 'b' after a number");
        err_at("0o17", 1, 2, "unexpected 'o' after a number");
    }

    // ----- documents -----

    #[test]
    fn one_value_per_document() {
        err_at("", 1, 1, "expected a value, found end of input");
        err_at("   \n  ", 2, 3, "expected a value, found end of input");
        err_at(
            "// only a comment",
            1,
            18,
            "expected a value, found end of input",
        );
        err_at(
            "1 2",
            1,
            3,
            "expected end of input after the value, found '2'",
        );
        err_at("{} []", 1, 4, "expected end of input");
        err_at(
            "{a:1}}",
            1,
            6,
            "expected end of input after the value, found '}'",
        );
        err_at("}", 1, 1, "expected a value, found '}'");
        err_at("]", 1, 1, "expected a value, found ']'");
        err_at(":", 1, 1, "expected a value");
        assert_eq!(ok("  /* c */ 7 // c\n"), json!(7));
        assert_eq!(ok("'top-level string'"), json!("top-level string"));
    }

    #[test]
    fn truncated_documents() {
        err_at("{", 1, 2, "expected a key or '}', found end of input");
        err_at("{a", 1, 3, "expected ':' after the key, found end of input");
        err_at("{a:", 1, 4, "expected a value, found end of input");
        err_at("{a:1", 1, 5, "expected ',' or '}', found end of input");
        err_at("{a:1,", 1, 6, "expected a key or '}', found end of input");
        err_at("[", 1, 2, "expected a value, found end of input");
        err_at("[1", 1, 3, "expected ',' or ']', found end of input");
        err_at("tru", 1, 1, "unexpected word 'tru'");
    }

    #[test]
    fn comment_errors() {
        err_at("/* never closed", 1, 1, "unterminated block comment");
        err_at("[1,\n  /* open\n", 2, 3, "unterminated block comment");
        err_at("/", 1, 1, "lone '/'");
        err_at("[1 / 2]", 1, 4, "lone '/'");
        err_at("1 /", 1, 3, "lone '/'");
        err_at("/*/", 1, 1, "unterminated block comment");
    }

    #[test]
    fn depth_limit() {
        let deepest = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(ok(&deepest).is_array());
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        err_at(
            &too_deep,
            1,
            MAX_DEPTH + 1,
            "nesting deeper than 128 levels",
        );
        let objects = format!(
            "{}1{}",
            "{a:".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        err_at(&objects, 1, 3 * MAX_DEPTH + 1, "nesting deeper");
        // Far beyond the limit: still an error, not a stack overflow.
        let huge = "[{a:".repeat(100_000);
        // Each "[{a:" opens two levels; level 129 is the '[' at column 4 * 64 + 1.
        err_at(&huge, 1, 257, "nesting deeper");
    }

    #[test]
    fn depth_counts_only_open_containers() {
        // Many siblings at a shallow depth are fine.
        let wide = format!("[{}]", "[[]],".repeat(10_000));
        assert_eq!(ok(&wide).as_array().map(Vec::len), Some(10_000));
    }

    #[test]
    fn error_positions_count_lines_and_characters() {
        err_at(
            "{\n  a: 1,\n  b: 2\n  c: 3\n}",
            4,
            3,
            "expected ',' or '}', found 'c'",
        );
        err_at("{\r\n  a: 1\r\n  b: 2}", 3, 3, "expected ',' or '}'");
        err_at("{\r  a: 1\r  b: 2}", 3, 3, "expected ',' or '}'");
        err_at("[1,\u{2028}2 3]", 2, 3, "expected ',' or ']'");
        // Columns count characters, not bytes.
        err_at("{ключ: 'значение' x}", 1, 19, "found 'x'");
        err_at("['😀😀', 1 1]", 1, 10, "found '1'");
    }

    #[test]
    fn error_display() {
        let e = parse("{\n a: 1,\n b: 2 c: 3}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3, column 7: expected ',' or '}', found 'c'"
        );
        assert_eq!(
            e,
            Error {
                line: 3,
                column: 7,
                message: "expected ',' or '}', found 'c'".into()
            }
        );
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("line 3"));
    }

    #[test]
    fn realistic_openclaw_config() {
        let text = r#"// OpenClaw configuration (~/.openclaw/openclaw.json)
{
  /* Gateway */
  gateway: {
    port: 18789,
    bind: 'loopback',
    auth: { mode: "token", token: '${OPENCLAW_GATEWAY_TOKEN}', },
  },

  agents: {
    defaults: {
      model: 'anthropic/claude-sonnet-4',
      maxConcurrent: +4,
      timeoutSeconds: Infinity, // no limit
      temperature: .7,
    },
  },

  channels: {
    mattermost: {
      enabled: true,
      serverUrl: 'https://chat.example.com',
      botToken: "xoxb-\
123",
      textChunkLimit: 0x0FA0,
      chatmode: 'onchar',   // or 'oncall', 'onmessage'
      oncharPrefixes: ['>', '!',],
      dmPolicy: 'pairing',
      allowFrom: ['@alice', "bob's-id", ],
      "reconnect-interval": 5e3,
      retryBudget: -Infinity,
      greeting: 'Hi, I\'m your \u{1F916}-free assistant\x21',
      notes: null,
    },
  },
}
"#;
        // `\u{1F916}` is not JSON5: `\u` must be followed by 4 hex digits.
        err_at(text, 32, 34, "expected a hex digit, found '{'");
        let text = text.replace(r"\u{1F916}", r"\uD83E\uDD16");
        assert_eq!(
            ok(&text),
            json!({
                "gateway": {
                    "port": 18789,
                    "bind": "loopback",
                    "auth": {"mode": "token", "token": "${OPENCLAW_GATEWAY_TOKEN}"}
                },
                "agents": {"defaults": {
                    "model": "anthropic/claude-sonnet-4",
                    "maxConcurrent": 4,
                    "timeoutSeconds": f64::MAX,
                    "temperature": 0.7
                }},
                "channels": {"mattermost": {
                    "enabled": true,
                    "serverUrl": "https://chat.example.com",
                    "botToken": "xoxb-123",
                    "textChunkLimit": 4000,
                    "chatmode": "onchar",
                    "oncharPrefixes": [">", "!"],
                    "dmPolicy": "pairing",
                    "allowFrom": ["@alice", "bob's-id"],
                    "reconnect-interval": 5000.0,
                    "retryBudget": f64::MIN,
                    "greeting": "Hi, I'm your 🤖-free assistant!",
                    "notes": null
                }}
            })
        );
    }

    #[test]
    fn config_with_a_missing_comma_reports_where() {
        let text = "{\n  channels: {\n    mattermost: {\n      serverUrl: 'https://x'\n      botToken: 'y',\n    },\n  },\n}\n";
        let e = parse(text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 5, column 7: expected ',' or '}', found 'b'"
        );
    }

    #[test]
    fn plain_json_matches_serde_json() {
        let documents = [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "123",
            "-123",
            "1.5",
            "-2.25e10",
            "3E-5",
            "0.1",
            "1e308",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234567890",
            r#""""#,
            r#""plain""#,
            r#""esc \" \\ \/ \b \f \n \r \t \u0041 \u00e9 \ud83d\ude00""#,
            "[]",
            "{}",
            "[1, [2, [3, []]], {}]",
            r#"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#,
            r#"{"dup": 1, "dup": 2}"#,
            " \t\r\n {\"ws\" : [ 1 , 2 ] } \n",
            r#"{"channels": {"mattermost": {"serverUrl": "https://m.example", "botToken": "t", "textChunkLimit": 4000, "allowFrom": ["*"], "ratio": 0.25}}}"#,
        ];
        for doc in documents {
            let expected: Value = serde_json::from_str(doc).unwrap();
            assert_eq!(ok(doc), expected, "{doc}");
        }
    }

    #[test]
    fn json_emitted_by_serde_json_round_trips() {
        let value = json!({
            "s": "quote \" backslash \\ newline \n control \u{1} unicode é 😀 \u{2028}",
            "n": [0, -1, u64::MAX, i64::MIN, 0.5, -1e-7, 1.7976931348623157e308],
            "nested": {"a": [{"b": null}]},
        });
        assert_eq!(ok(&value.to_string()), value);
        assert_eq!(ok(&serde_json::to_string_pretty(&value).unwrap()), value);
    }

    // ----- robustness -----

    use crate::random::XorShift as Rng;

    const SEEDS: &[&str] = &[
        "{a:1, 'b':\"c\", d:[1,2,{e:null}], f:true,}",
        "// c\n{/* x */ k: 0x1F, m: +1.5e3, n: -Infinity, o: NaN, p: .5, q: 5.,}",
        "['a\\\nb', \"\\u00e9\\uD83D\\uDE00\\x41\\0\\q\", '\\uD800']",
        "{ключ: 'значение', \\u0061: 1, $_: [[[[]]]]}",
        "\u{feff}\u{a0}[1,\u{2028}2,\u{2029}3]\u{3000}",
        "{\"json\": [1, -0, 1e400, 18446744073709551616, \"s\"]}",
    ];

    const INSERTS: &[char] = &[
        '{', '}', '[', ']', ':', ',', '\'', '"', '\\', '/', '*', '\n', '\r', '+', '-', '.', '0',
        '1', '9', 'x', 'e', 'E', 'u', 'D', 'I', 'N', ' ', '\u{2028}', 'é', '😀', '\u{feff}',
    ];

    fn mutate(rng: &mut Rng, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for _ in 0..=rng.below(4) {
            let at = rng.below(chars.len() + 1);
            match rng.below(5) {
                0 => chars.truncate(at),
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                2 => chars.insert(at, INSERTS[rng.below(INSERTS.len())]),
                3 if at < chars.len() => {
                    let other = rng.below(chars.len());
                    chars.swap(at, other);
                }
                _ => {
                    // Repeat a slice, which also builds deeper nesting.
                    let end = (at + rng.below(8)).min(chars.len());
                    let slice: Vec<char> = chars[at..end].to_vec();
                    for (i, c) in slice.into_iter().enumerate() {
                        chars.insert(end + i, c);
                    }
                }
            }
        }
        chars.into_iter().collect()
    }

    fn check(input: &str) {
        // Returning at all (no panic) is the point; errors must be placed sanely.
        if let Err(e) = parse(input) {
            assert!(e.line >= 1 && e.column >= 1, "{input:?}: {e}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn every_prefix_of_the_seeds_returns() {
        for seed in SEEDS {
            assert!(parse(seed).is_ok(), "{seed}");
            for (i, _) in seed.char_indices() {
                check(&seed[..i]);
            }
        }
    }

    #[test]
    fn mutated_inputs_never_panic() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut parsed = 0;
        for round in 0..5000 {
            let seed = SEEDS[round % SEEDS.len()];
            let input = mutate(&mut rng, seed);
            check(&input);
            parsed += usize::from(parse(&input).is_ok());
        }
        // Sanity: the mutations are not all fatal, so both paths are exercised.
        assert!(parsed > 0);
    }
}
