//! Device names: a profile's `deviceNameTemplate` read into its pieces, and expanded into the name
//! a device gets when its record is created (docs/API.md, "Device names").
//!
//! The template's tokens are declared once, in [`Token::NAMED`] and [`Token::RAND`]; the input rule
//! (`rules::device_name_template`) and the expansion both read a template through
//! [`parse_template`], so a template that is stored is one that expands.
//!
//! A name is made of ASCII letters, digits and hyphens, at most 63 characters: a DNS label, as
//! Intune's "letters, numbers, and hyphens" asks. Letters with diacritics or compatibility forms
//! are folded to their ASCII base letter by Unicode's NFKD decomposition (the
//! `unicode-normalization` crate) with the combining marks dropped; anything else becomes a hyphen.

use rand::Rng;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::{EnrollmentMode, Timestamp};

/// The longest device name, in characters (after expansion).
pub const MAX_NAME_CHARS: usize = 63;

/// A token of a device-name template, as written between `{{` and `}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// `{{SERIAL}}`: the serial number.
    Serial,
    /// `{{SERIALLAST4DIGITS}}`: the serial number's last four letters or digits.
    SerialLast4Digits,
    /// `{{ENROLLMENTDATETIME}}`: the enrollment's date and time, UTC, to the minute.
    EnrollmentDateTime,
    /// `{{USERNAME}}`: the verified user's whole user principal name.
    UserName,
    /// `{{DEVICETYPE}}`: the device type of the profile's enrollment mode.
    DeviceType,
    /// `{{UPNPREFIX}}`: the verified user's principal name before its `@`.
    UpnPrefix,
    /// `{{rand:N}}`: N random digits, N from 1 to 9.
    Rand(u8),
}

impl Token {
    /// The tokens named by a fixed word, which is case-sensitive (`{{SERIAL}}`, not `{{serial}}`).
    pub const NAMED: [(&'static str, Token); 6] = [
        ("SERIAL", Token::Serial),
        ("SERIALLAST4DIGITS", Token::SerialLast4Digits),
        ("ENROLLMENTDATETIME", Token::EnrollmentDateTime),
        ("USERNAME", Token::UserName),
        ("DEVICETYPE", Token::DeviceType),
        ("UPNPREFIX", Token::UpnPrefix),
    ];

    /// The prefix of the random-digits token, followed by one digit from 1 to 9.
    pub const RAND: &'static str = "rand:";

    /// The token written as `word` between the braces.
    fn from_word(word: &str) -> Option<Token> {
        if let Some((_, t)) = Self::NAMED.iter().find(|(w, _)| *w == word) {
            return Some(*t);
        }
        match word.strip_prefix(Self::RAND)?.as_bytes() {
            [d @ b'1'..=b'9'] => Some(Token::Rand(d - b'0')),
            _ => None,
        }
    }

    /// Every supported token as a template writes it, for messages.
    pub fn supported() -> String {
        let named = Self::NAMED.map(|(w, _)| format!("{{{{{w}}}}}")).join(", ");
        format!("{named}, and {{{{{}N}}}} with N from 1 to 9", Self::RAND)
    }
}

/// One piece of a template: literal text or a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text copied into the name (then cleaned like every other piece).
    Text(&'a str),
    /// A token replaced by a fact of the device.
    Token(Token),
}

/// Why a template cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{{` without a `}}` after it.
    Unclosed,
    /// A `}}` outside a token.
    StrayClose,
    /// `{{word}}` where `word` is no supported token.
    Unknown(String),
}

/// Reads a template into its pieces: `{{` opens a token that the next `}}` closes; everything else
/// is text, in which a `}}` is an error (single braces are text).
pub fn parse_template(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    loop {
        let (text, after) = match rest.find("{{") {
            Some(start) => (&rest[..start], Some(&rest[start + 2..])),
            None => (rest, None),
        };
        if text.contains("}}") {
            return Err(TemplateError::StrayClose);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let Some(after) = after else {
            return Ok(pieces);
        };
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let word = &after[..end];
        let token = Token::from_word(word).ok_or_else(|| TemplateError::Unknown(word.into()))?;
        pieces.push(Piece::Token(token));
        rest = &after[end + 2..];
    }
}

/// What a device's name may be made of, known when its record is created.
#[derive(Clone, Copy, Debug)]
pub struct NameFacts<'a> {
    /// The serial number; `None` when the device has no usable one (the enrollment code passes
    /// `None` for placeholder serials too).
    pub serial: Option<&'a str>,
    /// The profile's enrollment mode.
    pub mode: EnrollmentMode,
    /// When the record is created.
    pub enrolled: Timestamp,
    /// Only from a verified user ID token; None otherwise.
    pub user_principal_name: Option<&'a str>,
}

/// The template of a device name when the profile has none (`AndroidForWork-20261202T0515Z`),
/// and when a template expands to nothing.
pub const DEFAULT_TEMPLATE: &str = "{{DEVICETYPE}}-{{ENROLLMENTDATETIME}}";

/// The device name: the template expanded (or the default name when there is none), made of allowed characters, at most 63 characters.
pub fn device_name(template: Option<&str>, facts: &NameFacts<'_>, rng: &mut impl Rng) -> String {
    // A stored template always parses (the input rule reads it with the same parser); one that
    // does not, or that leaves nothing once cleaned, gives the default name.
    let expanded = template
        .and_then(|t| parse_template(t).ok())
        .map(|pieces| expand(&pieces, facts, rng))
        .filter(|name| !name.is_empty());
    expanded.unwrap_or_else(|| {
        let pieces = [
            Piece::Token(Token::DeviceType),
            Piece::Text("-"),
            Piece::Token(Token::EnrollmentDateTime),
        ];
        expand(&pieces, facts, rng)
    })
}

/// `{{DEVICETYPE}}`: Intune's documented `AndroidForWork` for the three Android Enterprise
/// (Google) modes; `AndroidAOSP` for the two modes without Google Mobile Services.
pub fn device_type(mode: EnrollmentMode) -> &'static str {
    if mode.is_aosp() {
        "AndroidAOSP"
    } else {
        "AndroidForWork"
    }
}

/// Every piece written out, then cleaned into a name.
fn expand(pieces: &[Piece<'_>], facts: &NameFacts<'_>, rng: &mut impl Rng) -> String {
    let mut raw = String::new();
    let upn = facts.user_principal_name.unwrap_or("");
    for piece in pieces {
        match *piece {
            Piece::Text(text) => raw.push_str(text),
            Piece::Token(Token::Serial) => raw.push_str(facts.serial.unwrap_or("")),
            Piece::Token(Token::SerialLast4Digits) => {
                raw.push_str(&last_four(facts.serial.unwrap_or("")))
            }
            Piece::Token(Token::EnrollmentDateTime) => raw.push_str(&date_time(facts.enrolled)),
            Piece::Token(Token::UserName) => raw.push_str(upn),
            Piece::Token(Token::UpnPrefix) => {
                raw.push_str(upn.rsplit_once('@').map_or(upn, |(prefix, _)| prefix))
            }
            Piece::Token(Token::DeviceType) => raw.push_str(device_type(facts.mode)),
            Piece::Token(Token::Rand(n)) => {
                raw.extend((0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))))
            }
        }
    }
    clean(&raw)
}

/// `{{ENROLLMENTDATETIME}}`: ISO 8601's basic format in UTC, to the minute: `20261202T0515Z`.
fn date_time(t: Timestamp) -> String {
    let d = t.as_datetime();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute()
    )
}

/// The last four ASCII letters or digits of the serial, after folding; all of them when it has
/// fewer.
fn last_four(serial: &str) -> String {
    let kept: Vec<char> = fold(serial).filter(char::is_ascii_alphanumeric).collect();
    kept[kept.len().saturating_sub(4)..].iter().collect()
}

/// The characters of `text` with letters folded to ASCII where NFKD allows it and combining marks
/// dropped; other characters are left for [`clean`] to replace.
fn fold(text: &str) -> impl Iterator<Item = char> + '_ {
    text.nfkd().filter(|c| !is_combining_mark(*c))
}

/// A name of ASCII letters, digits and hyphens: every other character becomes a hyphen, runs of
/// hyphens become one, hyphens at either end go, and the name is cut to 63 characters (and
/// trimmed of a hyphen the cut leaves at its end). Case is kept.
fn clean(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len().min(MAX_NAME_CHARS));
    for c in fold(raw) {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        name.push(c);
        if name.len() == MAX_NAME_CHARS {
            break;
        }
    }
    // Only ASCII was pushed, so bytes are characters.
    while name.ends_with('-') {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests;
