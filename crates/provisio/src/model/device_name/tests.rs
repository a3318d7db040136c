use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::model::rules;

const SERIAL: &str = "R58N12345XY";
const UPN: &str = "eric.solomon@contoso.com";

fn at() -> Timestamp {
    Timestamp::parse("2026-12-02T05:15:37.1234567Z").unwrap()
}

fn facts<'a>(serial: Option<&'a str>, mode: EnrollmentMode, upn: Option<&'a str>) -> NameFacts<'a> {
    NameFacts {
        serial,
        mode,
        enrolled: at(),
        user_principal_name: upn,
    }
}

/// `#` in `want` stands for any one ASCII digit (the random ones).
fn matches(want: &str, got: &str) -> bool {
    want.len() == got.len()
        && want
            .bytes()
            .zip(got.bytes())
            .all(|(w, g)| w == g || (w == b'#' && g.is_ascii_digit()))
}

fn allowed(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// A row of the table: template, serial, mode, user principal name, name.
type Case<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    EnrollmentMode,
    Option<&'a str>,
    &'a str,
);

#[test]
fn templates_expand_as_documented() {
    use EnrollmentMode::*;
    let long_serial = "A".repeat(62);
    let template_63 = format!("{{{{SERIAL}}}}-{}", "x".repeat(52));
    let name_63 = format!("{SERIAL}-{}", "x".repeat(51));
    let a62 = "A".repeat(62);
    let fm = CorporateOwnedFullyManaged;
    let aosp_user = CorporateOwnedAospUserAssociatedDevice;
    #[rustfmt::skip]
    let rows: Vec<Case<'_>> = vec![
        // template, serial, mode, user principal name, name
        (None, Some(SERIAL), fm, None, "AndroidForWork-20261202T0515Z"),
        (None, None, CorporateOwnedAospUserlessDevice, None, "AndroidAOSP-20261202T0515Z"),
        (Some(""), Some(SERIAL), CorporateOwnedDedicatedDevice, None, "AndroidForWork-20261202T0515Z"),
        (Some("{{SERIAL}}"), Some(SERIAL), fm, None, SERIAL),
        (Some("Kiosk-{{SERIALLAST4DIGITS}}"), Some(SERIAL), fm, None, "Kiosk-45XY"),
        // A serial shorter than four: all of it.
        (Some("Kiosk-{{SERIALLAST4DIGITS}}"), Some("AB1"), fm, None, "Kiosk-AB1"),
        // The last four letters or digits, separators skipped.
        (Some("{{SERIALLAST4DIGITS}}"), Some("SN-12.34/5"), fm, None, "2345"),
        (Some("{{ENROLLMENTDATETIME}}"), Some(SERIAL), fm, None, "20261202T0515Z"),
        (Some("{{DEVICETYPE}}"), None, CorporateOwnedDedicatedDevice, None, "AndroidForWork"),
        (Some("{{DEVICETYPE}}"), None, CorporateOwnedWorkProfile, None, "AndroidForWork"),
        (Some("{{DEVICETYPE}}"), None, aosp_user, Some(UPN), "AndroidAOSP"),
        (Some("{{UPNPREFIX}}"), Some(SERIAL), aosp_user, Some(UPN), "eric-solomon"),
        (Some("{{USERNAME}}"), Some(SERIAL), aosp_user, Some(UPN), "eric-solomon-contoso-com"),
        (Some("{{UPNPREFIX}}"), None, aosp_user, Some("eric"), "eric"),
        // No verified user: the user tokens are empty.
        (Some("{{UPNPREFIX}}-{{SERIALLAST4DIGITS}}"), Some(SERIAL), aosp_user, None, "45XY"),
        (Some("{{USERNAME}}"), Some(SERIAL), aosp_user, None, "AndroidAOSP-20261202T0515Z"),
        // No serial: the serial tokens are empty.
        (Some("Kiosk-{{SERIAL}}"), None, fm, None, "Kiosk"),
        (Some("{{SERIAL}}"), None, fm, None, "AndroidForWork-20261202T0515Z"),
        (Some("{{SERIALLAST4DIGITS}}-{{rand:2}}"), None, fm, None, "##"),
        // Characters outside letters, digits and hyphens.
        (Some("Lager Nord_{{SERIAL}}"), Some(SERIAL), fm, None, "Lager-Nord-R58N12345XY"),
        (Some("a  b__c"), None, fm, None, "a-b-c"),
        (Some("--x--"), None, fm, None, "x"),
        (Some("x{y}z"), None, fm, None, "x-y-z"),
        (Some("   "), None, fm, None, "AndroidForWork-20261202T0515Z"),
        // Unicode: folded where a base letter exists, replaced otherwise.
        (Some("Müller-Café-{{SERIALLAST4DIGITS}}"), Some(SERIAL), fm, None, "Muller-Cafe-45XY"),
        (Some("東京-{{SERIAL}}"), Some(SERIAL), fm, None, SERIAL),
        (Some("📱{{SERIALLAST4DIGITS}}"), Some(SERIAL), fm, None, "45XY"),
        (Some("ＡＢＣ１２３-ﬁle"), None, fm, None, "ABC123-file"),
        (Some("{{UPNPREFIX}}"), None, aosp_user, Some("jürgen.groß@contoso.de"), "jurgen-gro"),
        (Some("{{SERIAL}}"), Some("Ä1"), fm, None, "A1"),
        // Case is kept.
        (Some("kiosk-{{SERIAL}}"), Some("r58n"), fm, None, "kiosk-r58n"),
        (Some("{{SERIAL}}{{SERIAL}}"), Some("AB"), fm, None, "ABAB"),
        // 63 characters after expansion: cut, and a hyphen the cut leaves is trimmed.
        (Some(template_63.as_str()), Some(SERIAL), fm, None, name_63.as_str()),
        (Some("{{SERIAL}}-tail"), Some(long_serial.as_str()), fm, None, a62.as_str()),
        // Random digits, in place.
        (Some("{{rand:1}}"), None, fm, None, "#"),
        (Some("WH-{{SERIALLAST4DIGITS}}-{{rand:3}}"), Some(SERIAL), fm, None, "WH-45XY-###"),
        (Some("{{rand:9}}"), None, fm, None, "#########"),
        (Some("{{rand:4}}{{UPNPREFIX}}"), None, aosp_user, None, "####"),
        // A template that cannot be stored still names the device: the default.
        (Some("{{serial}}"), Some(SERIAL), fm, None, "AndroidForWork-20261202T0515Z"),
    ];
    assert!(rows.len() >= 25);
    let mut rng = StdRng::seed_from_u64(7);
    for (template, serial, mode, upn, want) in rows {
        let got = device_name(template, &facts(serial, mode, upn), &mut rng);
        assert!(
            matches(want, &got),
            "{template:?} with {serial:?}, {mode:?}, {upn:?}: got {got:?}, want {want:?}"
        );
        assert!(allowed(&got), "{got:?}");
    }
    assert_eq!(name_63.len(), 63);
}

#[test]
fn random_digits_come_from_the_rng() {
    let f = facts(
        Some(SERIAL),
        EnrollmentMode::CorporateOwnedFullyManaged,
        None,
    );
    let draw = |seed| device_name(Some("{{rand:9}}"), &f, &mut StdRng::seed_from_u64(seed));
    // The same seed gives the same digits; different seeds different ones.
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
    // Every position takes every digit, leading zeros included.
    let mut rng = StdRng::seed_from_u64(3);
    let mut seen = [[false; 10]; 9];
    for _ in 0..500 {
        let name = device_name(Some("{{rand:9}}"), &f, &mut rng);
        assert_eq!(name.len(), 9, "{name}");
        for (pos, b) in name.bytes().enumerate() {
            seen[pos][usize::from(b - b'0')] = true;
        }
    }
    assert!(seen.iter().all(|digits| digits.iter().all(|d| *d)));
}

#[test]
fn every_named_token_parses_and_expands() {
    let f = facts(
        Some(SERIAL),
        EnrollmentMode::CorporateOwnedFullyManaged,
        Some(UPN),
    );
    let mut rng = StdRng::seed_from_u64(0);
    for (word, token) in Token::NAMED {
        let template = format!("{{{{{word}}}}}");
        assert_eq!(parse_template(&template), Ok(vec![Piece::Token(token)]));
        assert!(rules::device_name_template(&template).is_ok(), "{template}");
        assert!(allowed(&device_name(Some(&template), &f, &mut rng)));
    }
    for n in 1..=9u8 {
        let template = format!("{{{{rand:{n}}}}}");
        assert_eq!(
            parse_template(&template),
            Ok(vec![Piece::Token(Token::Rand(n))])
        );
    }
}

#[test]
fn the_parser_splits_text_and_tokens() {
    assert_eq!(
        parse_template("a{{SERIAL}}b{c}"),
        Ok(vec![
            Piece::Text("a"),
            Piece::Token(Token::Serial),
            Piece::Text("b{c}")
        ])
    );
    assert_eq!(parse_template(""), Ok(vec![]));
    assert_eq!(parse_template("{{SERIAL"), Err(TemplateError::Unclosed));
    assert_eq!(
        parse_template("a}}{{SERIAL}}"),
        Err(TemplateError::StrayClose)
    );
    assert_eq!(
        parse_template("{{SERIAL}}a}}"),
        Err(TemplateError::StrayClose)
    );
    assert_eq!(
        parse_template("{{{SERIAL}}"),
        Err(TemplateError::Unknown("{SERIAL".into()))
    );
    assert_eq!(
        parse_template("{{RAND:4}}"),
        Err(TemplateError::Unknown("RAND:4".into()))
    );
}

/// Any template the input rule accepts, with any facts, gives an allowed name; the rule and the
/// parser agree on every template.
#[test]
fn any_template_gives_an_allowed_name() {
    const PARTS: [&str; 16] = [
        "{{SERIAL}}",
        "{{SERIALLAST4DIGITS}}",
        "{{ENROLLMENTDATETIME}}",
        "{{USERNAME}}",
        "{{DEVICETYPE}}",
        "{{UPNPREFIX}}",
        "{{rand:5}}",
        "-",
        "_",
        " ",
        "é",
        "東",
        "{",
        "}}",
        "Ab9",
        "{{x}}",
    ];
    let mut rng = StdRng::seed_from_u64(11);
    let serials = [None, Some(""), Some("ÅB-"), Some("X"), Some(SERIAL)];
    let upns = [None, Some("@"), Some("ß@x"), Some(UPN)];
    for _ in 0..3000 {
        let template: String = (0..rng.gen_range(0..7))
            .map(|_| PARTS[rng.gen_range(0..PARTS.len())])
            .collect();
        let valid = rules::device_name_template(&template).is_ok();
        if template.chars().count() <= 63 {
            assert_eq!(valid, parse_template(&template).is_ok(), "{template}");
        }
        let serial = serials[rng.gen_range(0..serials.len())];
        let upn = upns[rng.gen_range(0..upns.len())];
        let mode = EnrollmentMode::from_value(rng.gen_range(0..5)).unwrap();
        let name = device_name(Some(&template), &facts(serial, mode, upn), &mut rng);
        assert!(allowed(&name), "{template:?} gave {name:?}");
    }
}
