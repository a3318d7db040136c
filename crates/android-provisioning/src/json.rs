//! ASCII-only JSON string escaping, the one place where payload text is quoted.
//!
//! Provisioning payloads must be pure ASCII (docs/QR.md, How it is written, rule 2): QR scanners
//! guess the character set of byte-mode data, and raw UTF-8 without an ECI marker comes back
//! garbled (`Café` → `Caf矇`). So every character outside printable ASCII is written as a JSON
//! `\uXXXX` escape with **lowercase** hexadecimal digits, characters beyond the Basic
//! Multilingual Plane as a UTF-16 surrogate pair (`😀` → `\ud83d\ude00`).
//!
//! The rules, fixed so that the same text always gives the same bytes:
//! - `"` → `\"` and `\` → `\\` (JSON requires both);
//! - the short JSON escapes `\b \t \n \f \r` for those five control characters;
//! - every other character below U+0020, and DEL (U+007F), → `\u00XX`;
//! - `/` is **not** escaped (JSON allows it raw);
//! - printable ASCII U+0020..=U+007E is copied as is;
//! - everything above U+007F → `\uXXXX` (with a surrogate pair above U+FFFF).

/// Lowercase hexadecimal digits used by every `\uXXXX` escape.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` to `out` as a quoted JSON string literal that contains only ASCII.
pub(crate) fn push_str_literal(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Copy runs of characters that need no escape in one go; escape the rest one by one.
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        if is_plain(c) {
            continue;
        }
        out.push_str(&s[run_start..i]);
        push_escaped(out, c);
        run_start = i + c.len_utf8();
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// True for characters copied verbatim: printable ASCII except `"` and `\`.
fn is_plain(c: char) -> bool {
    matches!(c, ' '..='~') && c != '"' && c != '\\'
}

/// Appends the escape sequence for one character that [`is_plain`] rejected.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{8}' => out.push_str("\\b"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        _ => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                push_unit(out, *unit);
            }
        }
    }
}

/// Appends `\u` and four lowercase hex digits for one UTF-16 code unit.
fn push_unit(out: &mut String, unit: u16) {
    out.push_str("\\u");
    for shift in [12u16, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::push_str_literal;

    fn lit(s: &str) -> String {
        let mut out = String::new();
        push_str_literal(&mut out, s);
        out
    }

    #[test]
    fn plain_ascii_is_copied() {
        assert_eq!(lit("Corp WiFi {a;b:c,d}/x"), r#""Corp WiFi {a;b:c,d}/x""#);
        assert_eq!(lit(""), r#""""#);
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(lit(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(lit(r"\u0000"), r#""\\u0000""#);
    }

    #[test]
    fn control_characters_use_short_or_unicode_escapes() {
        assert_eq!(
            lit("\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f}"),
            r#""\u0000\u0001\b\t\n\u000b\f\r\u001f\u007f""#
        );
    }

    #[test]
    fn non_ascii_is_escaped_in_lowercase_hex() {
        assert_eq!(lit("Café"), r#""Caf\u00e9""#);
        assert_eq!(lit("無線"), r#""\u7121\u7dda""#);
        assert_eq!(lit("שלום"), r#""\u05e9\u05dc\u05d5\u05dd""#);
        assert_eq!(lit("\u{200f}\u{feff}"), r#""\u200f\ufeff""#);
    }

    #[test]
    fn astral_characters_become_surrogate_pairs() {
        assert_eq!(lit("😀"), r#""\ud83d\ude00""#);
        assert_eq!(lit("a\u{10ffff}b"), r#""a\udbff\udfffb""#);
    }

    #[test]
    fn output_is_ascii_and_parses_back() {
        let samples = [
            "",
            "x",
            "\"\\",
            "\u{0}\u{7f}\u{80}",
            "é😀無\r\n",
            "\u{2028}\u{2029}",
        ];
        for s in samples {
            let out = lit(s);
            assert!(out.is_ascii(), "{out}");
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, s);
        }
    }
}
