//! The input rules of the profile (docs/API.md, Members): lengths, formats, the device-name template and the Wi-Fi
//! password rules. Each returns a message that names the member and the rule.

use super::device_name::{parse_template, TemplateError, Token};
use super::{Profile, WifiSecurityType};

/// A rule a value broke, with the message the client sees.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl InvalidInput {
    /// A message about one member.
    pub fn member(member: &str, message: impl std::fmt::Display) -> Self {
        InvalidInput(format!("Invalid value for '{member}': {message}."))
    }
}

type Rule = Result<(), InvalidInput>;

/// Most roleScopeTagIds a profile may carry.
pub const MAX_ROLE_SCOPE_TAGS: usize = 100;

/// `displayName`: 1..=256 characters once leading and trailing white space is trimmed.
pub fn display_name(v: &str) -> Rule {
    let n = v.trim().chars().count();
    if n == 0 || n > 256 || v.chars().count() > 256 {
        return Err(InvalidInput::member(
            "displayName",
            format!("must be 1 to 256 characters, not counting leading and trailing white space (got {n})"),
        ));
    }
    Ok(())
}

/// `description`: at most 1,500 characters.
pub fn description(v: &str) -> Rule {
    max_chars("description", v, 1500)
}

/// At most `max` characters.
pub fn max_chars(member: &str, v: &str, max: usize) -> Rule {
    let n = v.chars().count();
    if n > max {
        return Err(InvalidInput::member(
            member,
            format!("must be at most {max} characters (got {n})"),
        ));
    }
    Ok(())
}

/// A managed device's `managedDeviceName`: at most 256 characters.
pub fn managed_device_name(v: &str) -> Rule {
    max_chars("managedDeviceName", v, 256)
}

/// A managed device's `notes`: at most 4,000 characters.
pub fn device_notes(v: &str) -> Rule {
    max_chars("notes", v, 4000)
}

/// `roleScopeTagIds`: at most 100 ids of 1..=128 characters each.
pub fn role_scope_tag_ids(v: &[String]) -> Rule {
    if v.len() > MAX_ROLE_SCOPE_TAGS {
        return Err(InvalidInput::member(
            "roleScopeTagIds",
            format!(
                "at most {MAX_ROLE_SCOPE_TAGS} scope tags are allowed (got {})",
                v.len()
            ),
        ));
    }
    for tag in v {
        let n = tag.chars().count();
        if n == 0 || n > 128 {
            return Err(InvalidInput::member(
                "roleScopeTagIds",
                format!("each scope tag id must be 1 to 128 characters (got one of {n})"),
            ));
        }
    }
    Ok(())
}

/// `wifiSsid`: 1..=32 bytes of UTF-8.
pub fn wifi_ssid(v: &str) -> Rule {
    if v.is_empty() || v.len() > 32 {
        return Err(InvalidInput::member(
            "wifiSsid",
            format!("must be 1 to 32 bytes of UTF-8 (got {} bytes)", v.len()),
        ));
    }
    Ok(())
}

/// `deviceNameTemplate`: at most 63 characters, read by the same parser that expands it: `{{...}}`
/// tokens only from the supported list ([`Token`]), and `{{rand:N}}` with N from 1 to 9.
pub fn device_name_template(v: &str) -> Rule {
    const M: &str = "deviceNameTemplate";
    max_chars(M, v, 63)?;
    parse_template(v).map(drop).map_err(|e| match e {
        TemplateError::Unclosed => InvalidInput::member(M, "a '{{' token is not closed with '}}'"),
        TemplateError::StrayClose => InvalidInput::member(M, "'}}' without a matching '{{'"),
        TemplateError::Unknown(word) => InvalidInput::member(
            M,
            format!(
                "unknown token '{{{{{word}}}}}'; supported tokens are {}",
                Token::supported()
            ),
        ),
    })
}

/// Rules that involve several members, checked on the profile a create or PATCH would store.
pub fn whole_profile(p: &Profile) -> Rule {
    let Some(password) = &p.wifi.password else {
        return Ok(());
    };
    let pw = password.expose();
    let hex = |len: usize| pw.len() == len && pw.bytes().all(|b| b.is_ascii_hexdigit());
    let printable = |len: std::ops::RangeInclusive<usize>| {
        len.contains(&pw.len()) && pw.bytes().all(|b| (0x20..=0x7e).contains(&b))
    };
    match p.wifi.security {
        WifiSecurityType::None => Ok(()),
        WifiSecurityType::Wpa if printable(8..=63) || hex(64) => Ok(()),
        WifiSecurityType::Wpa => Err(InvalidInput::member(
            "wifiPassword",
            "a WPA password must be 8 to 63 printable ASCII characters or 64 hexadecimal digits",
        )),
        WifiSecurityType::Wep
            if [5, 13, 16].iter().any(|&n| printable(n..=n))
                || [10, 26, 32].into_iter().any(hex) =>
        {
            Ok(())
        }
        WifiSecurityType::Wep => Err(InvalidInput::member(
            "wifiPassword",
            "a WEP key must be 5, 13 or 16 ASCII characters, or 10, 26 or 32 hexadecimal digits",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProfileId, Sensitive, TenantId, Timestamp};

    #[test]
    fn display_name_counts_trimmed_characters() {
        assert!(display_name("a").is_ok());
        assert!(display_name(&"é".repeat(256)).is_ok());
        assert!(display_name(&"é".repeat(257)).is_err());
        assert!(display_name("   ").is_err());
        assert!(display_name("").is_err());
    }

    #[test]
    fn templates_accept_known_tokens_only() {
        for ok in [
            "",
            "Kiosk-{{SERIAL}}",
            "{{rand:9}}{{UPNPREFIX}}",
            "{{SERIALLAST4DIGITS}}-x",
        ] {
            assert!(device_name_template(ok).is_ok(), "{ok}");
        }
        for bad in [
            "{{serial}}",
            "{{rand:0}}",
            "{{rand:10}}",
            "{{SERIAL",
            "x}}",
            "a}}b{{SERIAL}}",
            "{{RAND:4}}",
            "{{}}",
            &"a".repeat(64),
        ] {
            let err = device_name_template(bad).unwrap_err();
            assert!(err.0.contains("deviceNameTemplate"), "{bad}: {err}");
        }
    }

    #[test]
    fn wifi_password_rules_follow_the_security_type() {
        let mut p = Profile::new(
            TenantId(uuid::Uuid::nil()),
            ProfileId::new_random(),
            "x".into(),
            Timestamp::now(),
        );
        let check = |p: &mut Profile, sec, pw: &str| {
            p.wifi.security = sec;
            p.wifi.password = Some(Sensitive::new(pw));
            whole_profile(p).is_ok()
        };
        assert!(check(&mut p, WifiSecurityType::Wpa, "12345678"));
        assert!(!check(&mut p, WifiSecurityType::Wpa, "1234567"));
        assert!(check(&mut p, WifiSecurityType::Wpa, &"a".repeat(63)));
        assert!(!check(&mut p, WifiSecurityType::Wpa, &"g".repeat(64)));
        assert!(check(&mut p, WifiSecurityType::Wpa, &"F".repeat(64)));
        assert!(!check(&mut p, WifiSecurityType::Wpa, "pässword1"));
        assert!(check(&mut p, WifiSecurityType::Wep, "abcde"));
        assert!(check(&mut p, WifiSecurityType::Wep, "0123456789"));
        assert!(!check(&mut p, WifiSecurityType::Wep, "abcdef"));
        assert!(check(&mut p, WifiSecurityType::None, "anything at all"));
    }
}
