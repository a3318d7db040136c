//! Percent-decoding of query-string names and values (strict: `%` must be followed by two hex
//! digits, the result must be UTF-8, and `+` stays a literal plus) and the matching encoder.

use std::fmt::Write;

/// Decodes `raw`. On failure returns the byte offset in `raw` of the offending escape or
/// character, and a message.
pub(crate) fn decode(raw: &str) -> Result<String, (usize, String)> {
    if !raw.contains('%') {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    // For each decoded byte, where it came from in `raw`.
    let mut origin = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) if hex.is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit())) => {
                    out.push(b);
                    origin.push(i);
                    i += 3;
                    continue;
                }
                _ => {
                    let shown: String = raw[i..].chars().take(3).collect();
                    return Err((i, format!("malformed percent-encoding '{shown}'")));
                }
            }
        }
        out.push(bytes[i]);
        origin.push(i);
        i += 1;
    }
    String::from_utf8(out).map_err(|e| {
        let at = origin
            .get(e.utf8_error().valid_up_to())
            .copied()
            .unwrap_or(0);
        (at, "the decoded value is not valid UTF-8".to_owned())
    })
}

/// Encodes `value` for a query string: unreserved characters and `'()*,:/!$@` stay, everything
/// else (space, `+`, `&`, `=`, `%`, `#`, non-ASCII, ...) becomes `%XX`.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~'()*,:/!$@".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn decodes_strictly() {
        assert_eq!(decode("a%20b+c").unwrap(), "a b+c");
        assert_eq!(decode("%24filter").unwrap(), "$filter");
        assert_eq!(decode("%C3%A9").unwrap(), "é");
        assert_eq!(decode("ab%2").unwrap_err().0, 2);
        assert_eq!(decode("ab%zz").unwrap_err().0, 2);
        assert_eq!(decode("%+1").unwrap_err().0, 0);
        assert_eq!(decode("ok%FF").unwrap_err().0, 2);
        assert_eq!(decode("%C3").unwrap_err().0, 0);
    }

    #[test]
    fn encodes_what_decode_reads_back() {
        let s = "a b+c&d=e%f#g'h'(i),é\u{1F600}";
        assert_eq!(decode(&encode(s)).unwrap(), s);
        assert_eq!(encode("x eq 'a+b'"), "x%20eq%20'a%2Bb'");
    }
}
