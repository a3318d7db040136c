//! `provisio config example`: a settings file with every setting, written from the declarations
//! themselves — the TOML tables and keys as serde reads them, each key's help text and default
//! as clap declares them — so that the file shipped with the package cannot drift from the code.
//!
//! serde's derived `Deserialize` names a struct's fields only to the deserializer it is handed;
//! [`Probe`] is such a deserializer, written here because it is the only way to learn, without
//! a second list of the tables, which top-level keys are tables and what their keys are. It
//! reads nothing and answers every request with an error once it has what it asked for.

use std::any::TypeId;
use std::cell::Cell;
use std::fmt::Write as _;

use anyhow::{bail, Context as _};
use clap::{Arg, ArgAction, Args as _, Command};
use serde::de::value::Error as ProbeError;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer as _, MapAccess, Visitor,
};

use super::{ServeArgs, Settings};

/// Lines are wrapped to this many characters.
const WIDTH: usize = 100;

/// What the file says before the first setting.
const HEADER: &str = "\
# provisio's settings, each with its help text and, commented out, its default: remove the '#'
# in front of a key to set it. provisio reads this file when it is named with --config FILE
# (or PROVISIO_CONFIG); PROVISIO_* environment variables and command-line flags override it.
# Written by `provisio config example`; `provisio serve --help` describes the same settings.
";

/// The settings file: [`HEADER`], then every setting, top-level keys first and then each table.
/// A setting that `args` gives (as a flag or a `PROVISIO_*` variable) is set to that value; every
/// other one is commented out, with its declared default (or no value where there is none).
pub fn example(args: &ServeArgs) -> anyhow::Result<String> {
    if args.config.is_some() {
        bail!("config example writes a new file from the built-in defaults; it reads no --config");
    }
    let command = Settings::augment_args(Command::new("provisio"));
    let top = fields_of::<Settings>(None).context("the settings are not a struct")?;
    let mut out = String::from(HEADER);
    let mut tables = Vec::new();
    for &key in top {
        match fields_of::<Settings>(Some(key)) {
            Some(fields) => tables.push((key, fields)),
            None => entry(&mut out, &command, args, key)?,
        }
    }
    for (table, fields) in tables {
        write!(out, "\n[{table}]\n")?;
        for &key in fields {
            entry(&mut out, &command, args, key)?;
        }
    }
    Ok(out)
}

/// Appends one setting: its help, then `key = value` (given) or `#key = default`.
fn entry(out: &mut String, command: &Command, args: &ServeArgs, key: &str) -> anyhow::Result<()> {
    let arg = command
        .get_arguments()
        .find(|a| a.get_id() == key)
        .with_context(|| format!("the setting {key} has no flag"))?;
    out.push('\n');
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(ToString::to_string);
    comment(out, help.as_deref().unwrap_or_default());
    let given: Option<Vec<String>> = args.given.get_raw(key).map(|values| {
        values
            .map(|v| v.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    });
    match given {
        Some(values) => writeln!(out, "{key} = {}", literal(arg, &values))?,
        None => {
            let defaults: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if defaults.is_empty() {
                writeln!(out, "#{key} =")?;
            } else {
                writeln!(out, "#{key} = {}", literal(arg, &defaults))?;
            }
        }
    }
    Ok(())
}

/// `text` as `# ` lines of at most [`WIDTH`] characters (a longer word stands alone).
fn comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() > 1 && line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line.truncate(1);
        }
        line.push(' ');
        line.push_str(word);
    }
    if line.len() > 1 {
        out.push_str(&line);
        out.push('\n');
    }
}

/// `values` of `arg` as a TOML value: an array for a setting that takes several, a boolean or an
/// integer where the flag parses one, a string otherwise.
fn literal(arg: &Arg, values: &[String]) -> String {
    let parser = arg.get_value_parser().type_id();
    let integer = [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i8>(),
        TypeId::of::<i16>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
        TypeId::of::<isize>(),
    ]
    .into_iter()
    .any(|t| parser == t);
    let one = |v: &String| -> toml::Value {
        if parser == TypeId::of::<bool>() {
            if let Ok(b) = v.parse() {
                return toml::Value::Boolean(b);
            }
        }
        if integer {
            if let Ok(n) = v.parse() {
                return toml::Value::Integer(n);
            }
        }
        toml::Value::String(v.clone())
    };
    let value = match (arg.get_action(), values) {
        (ArgAction::Append, _) => toml::Value::Array(values.iter().map(one).collect()),
        (_, [single]) => one(single),
        _ => toml::Value::Array(values.iter().map(one).collect()),
    };
    value.to_string()
}

/// The field names of `T` (with `table` None), or of its field `table` when that is a struct
/// (None when it is not).
fn fields_of<T: DeserializeOwned>(table: Option<&'static str>) -> Option<&'static [&'static str]> {
    let found = Cell::new(None);
    // The probe always ends in an error; what it learnt is in `found`.
    let _ = T::deserialize(Probe {
        found: &found,
        table,
    });
    found.get()
}

/// A deserializer that records the fields of the struct asked for: the outer one (`table` None)
/// or, presenting a map with the one key `table`, that field's.
struct Probe<'a> {
    found: &'a Cell<Option<&'static [&'static str]>>,
    table: Option<&'static str>,
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
        Err(de::Error::custom("not a table"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        match self.table {
            None => {
                self.found.set(Some(fields));
                Err(de::Error::custom("probed"))
            }
            Some(key) => visitor.visit_map(OneKey {
                key: Some(key),
                found: self.found,
            }),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The map `{key: <a probe>}`.
struct OneKey<'a> {
    key: Option<&'static str>,
    found: &'a Cell<Option<&'static [&'static str]>>,
}

impl<'de> MapAccess<'de> for OneKey<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        match self.key.take() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ProbeError> {
        seed.deserialize(Probe {
            found: self.found,
            table: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed file that the Debian package installs as /etc/provisio/provisio.toml.
    const PACKAGED: &str = include_str!("../../../packaging/provisio.toml");
    /// The flags it is written with.
    pub const PACKAGED_FLAGS: &[&str] = &["--data-dir", "/var/lib/provisio"];

    fn written(flags: &[&str]) -> String {
        example(&ServeArgs::parse(flags, &[]).unwrap()).unwrap()
    }

    #[test]
    fn the_packaged_config_is_the_generated_one() {
        assert!(
            PACKAGED == written(PACKAGED_FLAGS),
            "packaging/provisio.toml differs from what the code declares; write it anew with\n  \
             cargo run -p provisio -- config example {} > packaging/provisio.toml",
            PACKAGED_FLAGS.join(" ")
        );
    }

    /// Each setting once, and the file with every default uncommented reads as the defaults.
    #[test]
    fn every_setting_once_and_the_defaults_read_back_as_the_defaults() {
        let text = written(&[]);
        let command = Settings::augment_args(Command::new("provisio"));
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            let lines = text
                .lines()
                .filter(|l| l.starts_with(&format!("#{id} =")))
                .count();
            assert_eq!(lines, 1, "{id} in:\n{text}");
        }
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest) if !rest.starts_with(' ') && !rest.ends_with('=') => rest,
                _ => l,
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all.toml");
        std::fs::write(&path, &uncommented).unwrap();
        let from_file = super::super::read_file(&path).unwrap();
        assert_eq!(from_file, Settings::default(), "{uncommented}");
    }

    #[test]
    fn given_settings_are_set_with_their_types() {
        let text = written(&[
            "--data-dir",
            "/srv/p",
            "--sqlite-read-connections",
            "7",
            "--auth-issuer",
            "https://a.example/{tenantid},https://b.example/{tenantid}",
            "--auth-audience",
            "api://x",
            "--auth-jwks-url",
            "https://a.example/keys",
            "--trust-forwarded-headers",
        ]);
        for line in [
            "\ndata_dir = \"/srv/p\"\n",
            "\nsqlite_read_connections = 7\n",
            "\nissuers = [\"https://a.example/{tenantid}\", \"https://b.example/{tenantid}\"]\n",
            "\ntrust_forwarded_headers = true\n",
            "\n#log_format = \"text\"\n",
            "\n#public_base_url =\n",
        ] {
            assert!(text.contains(line), "{line:?} in:\n{text}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("given.toml");
        std::fs::write(&path, &text).unwrap();
        let s = super::super::read_file(&path).unwrap();
        assert_eq!(s.sqlite_read_connections, 7);
        assert_eq!(s.auth.issuers.len(), 2);
        assert!(s.trust_forwarded_headers);
    }

    #[test]
    fn no_line_is_longer_than_the_width() {
        let text = written(&[]);
        for line in text.lines() {
            let long_word = !line.trim_start_matches("# ").contains(' ');
            assert!(line.len() <= WIDTH || long_word, "{line}");
        }
    }
}
