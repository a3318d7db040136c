//! The input file read into rows: a CSV file whose header names Graph members, or JSON lines
//! with one Graph object per line. CSV cells get the JSON type of the member their column names,
//! from the profile's declaration ([`PROFILES`]): numbers, Booleans, string collections and
//! complex values are parsed, the rest stays text. A cell that does not parse as its type is
//! sent as the text it is, so the server's own rule refuses it with its own message: the
//! importer checks no value the server checks.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use clap::ValueEnum;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::entity::{MemberDecl, MemberType, Query, Secret};
use crate::model::{Entity, EntitySet, Profile, PROFILES};

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row of member names.
    Csv,
    /// JSON lines: one JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a file's extension names (`.csv`; `.jsonl`, `.ndjson` or `.json`).
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// One profile to import: where it is in the file, its key and the JSON body to send.
#[derive(Clone, Debug)]
pub struct Row {
    /// The line of the file the row starts on (a CSV header is line 1, so a spreadsheet shows
    /// the same number).
    pub number: usize,
    /// The value of the key member.
    pub key: String,
    /// The Graph object.
    pub body: Map<String, Value>,
    /// A digest of the key member's name and the body: a state file's record of the row is
    /// trusted only while the row is unchanged.
    pub digest: String,
}

/// A row refused before anything was sent.
#[derive(Clone, Debug)]
pub struct Rejected {
    /// The line the row starts on.
    pub number: usize,
    /// Its key, when it has one.
    pub key: Option<String>,
    /// Why, as an error code of the importer's own (`InvalidRow`, `MissingKey`, `DuplicateKey`).
    pub code: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

/// Every row of a file, in file order.
#[derive(Debug, Default)]
pub struct Input {
    /// Rows that can be sent.
    pub rows: Vec<Row>,
    /// Rows refused as read.
    pub rejected: Vec<Rejected>,
}

impl Input {
    /// The number of rows read, sendable or not.
    pub fn len(&self) -> usize {
        self.rows.len() + self.rejected.len()
    }

    /// Whether the file held no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The key member: a string member that `$filter` can compare (sealed members cannot be listed
/// by value). Refuses any other name, listing the ones it takes.
pub fn key_member(name: &str) -> anyhow::Result<&'static MemberDecl<Profile>> {
    let usable = |m: &MemberDecl<Profile>| {
        matches!(m.ty, MemberType::String | MemberType::GuidString)
            && m.query != Query::SelectOnly
            && m.secret == Secret::No
    };
    match PROFILES.member(name) {
        Some((_, m)) if usable(m) => Ok(m),
        _ => {
            let names: Vec<&str> = PROFILES
                .members
                .iter()
                .filter(|m| usable(m))
                .map(|m| m.name)
                .collect();
            bail!(
                "--key {name}: the key must be a text member that $filter can compare: one of {}",
                names.join(", ")
            )
        }
    }
}

/// Reads the file in `format`, the key being the member `key`.
pub fn read(path: &Path, format: Format, key: &str) -> anyhow::Result<Input> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut input = match format {
        Format::Csv => read_csv(&text, &PROFILES)?,
        Format::Jsonl => read_jsonl(&text),
    };
    input.keep_keyed(key);
    Ok(input)
}

/// Bodies from JSON lines; blank lines are skipped (their numbers still count).
fn read_jsonl(text: &[u8]) -> Input {
    let mut raw = Vec::new();
    let mut rejected = Vec::new();
    for (index, line) in text.split(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(body)) => raw.push((number, body)),
            Ok(_) => rejected.push(invalid(number, "the line is JSON but not an object".into())),
            Err(e) => rejected.push(invalid(number, format!("the line is not JSON: {e}"))),
        }
    }
    Input::from_raw(raw, rejected)
}

/// Bodies from CSV whose header names members of `set`; an unknown column fails the whole file.
fn read_csv<E: Entity>(text: &[u8], set: &'static EntitySet<E>) -> anyhow::Result<Input> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text);
    let header = reader
        .headers()
        .context("cannot read the CSV header")?
        .clone();
    let mut columns = Vec::with_capacity(header.len());
    for name in header.iter() {
        let name = name.trim();
        match set.member(name) {
            Some((_, m)) => columns.push((m.name, m.ty)),
            None => {
                let names: Vec<&str> = set.members.iter().map(|m| m.name).collect();
                bail!(
                    "the CSV column '{name}' is no member of {}; the members are: {}",
                    set.type_name,
                    names.join(", ")
                )
            }
        }
    }
    let mut raw = Vec::new();
    let mut rejected = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let number = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let number = record.position().map_or(number, |p| p.line() as usize);
                let mut body = Map::new();
                for ((name, ty), cell) in columns.iter().zip(record.iter()) {
                    if !cell.is_empty() {
                        body.insert((*name).to_owned(), coerce(*ty, cell));
                    }
                }
                raw.push((number, body));
            }
            // A row with another number of cells, or bytes that are not UTF-8: that row is
            // refused and reading goes on.
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths { pos, .. } | csv::ErrorKind::Utf8 { pos, .. } => {
                    let number = pos.as_ref().map_or(number, |p| p.line() as usize);
                    rejected.push(invalid(number, format!("the CSV row is malformed: {e}")));
                }
                _ => return Err(e).context("cannot read the CSV file"),
            },
        }
    }
    Ok(Input::from_raw(raw, rejected))
}

/// A CSV cell as the JSON value of a member of type `ty`; text when it does not parse.
fn coerce(ty: MemberType, cell: &str) -> Value {
    let text = || Value::String(cell.to_owned());
    match ty {
        MemberType::Int32 | MemberType::Int64 => cell
            .trim()
            .parse::<i64>()
            .map_or_else(|_| text(), Value::from),
        MemberType::Boolean => match cell.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text(),
        },
        // A JSON array, or items separated by ';'.
        MemberType::StringCollection => match serde_json::from_str::<Value>(cell) {
            Ok(array @ Value::Array(_)) => array,
            _ => Value::Array(
                cell.split(';')
                    .map(|item| Value::String(item.trim().to_owned()))
                    .collect(),
            ),
        },
        MemberType::Image | MemberType::Complex(_) | MemberType::ComplexCollection(_) => {
            serde_json::from_str::<Value>(cell).unwrap_or_else(|_| text())
        }
        MemberType::String
        | MemberType::GuidString
        | MemberType::Guid
        | MemberType::DateTime
        | MemberType::Enum(_) => text(),
    }
}

fn invalid(number: usize, message: String) -> Rejected {
    Rejected {
        number,
        key: None,
        code: "InvalidRow",
        message,
    }
}

impl Input {
    fn from_raw(raw: Vec<(usize, Map<String, Value>)>, rejected: Vec<Rejected>) -> Input {
        let rows = raw
            .into_iter()
            .map(|(number, body)| Row {
                number,
                key: String::new(),
                body,
                digest: String::new(),
            })
            .collect();
        Input { rows, rejected }
    }

    /// Gives each row its key and digest; refuses rows without a key, and rows whose key an
    /// earlier row already has (two rows cannot both be the one profile of that key).
    fn keep_keyed(&mut self, key: &str) {
        let mut first: HashMap<String, usize> = HashMap::new();
        let rows = std::mem::take(&mut self.rows);
        for mut row in rows {
            let Some(value) = row.body.get(key).and_then(Value::as_str).map(str::to_owned) else {
                self.rejected.push(Rejected {
                    number: row.number,
                    key: None,
                    code: "MissingKey",
                    message: format!("the row has no text in its key member '{key}'"),
                });
                continue;
            };
            if let Some(earlier) = first.get(&value) {
                self.rejected.push(Rejected {
                    number: row.number,
                    key: Some(value),
                    code: "DuplicateKey",
                    message: format!("row {earlier} has the same {key}; the row was not sent"),
                });
                continue;
            }
            first.insert(value.clone(), row.number);
            row.digest = digest(key, &row.body);
            row.key = value;
            self.rows.push(row);
        }
        self.rejected.sort_by_key(|r| r.number);
    }
}

/// The hex SHA-256 of the key member's name and the body's JSON.
fn digest(key: &str, body: &Map<String, Value>) -> String {
    let mut hash = Sha256::new();
    hash.update(key.as_bytes());
    hash.update(b"\n");
    hash.update(Value::Object(body.clone()).to_string().as_bytes());
    hash.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_cells_take_the_type_of_their_member() {
        let text = "displayName,wifiHidden,roleScopeTagIds,enrollmentMode,description\n\
                    Kiosk,true,0;7,corporateOwnedFullyManaged,\n\
                    Desk,maybe,\"[\"\"a;b\"\"]\",x,\"two\nlines\"\n";
        let input = read_csv(text.as_bytes(), &PROFILES).unwrap();
        assert!(input.rejected.is_empty(), "{:?}", input.rejected);
        assert_eq!(input.rows[0].number, 2);
        assert_eq!(
            Value::Object(input.rows[0].body.clone()),
            json!({"displayName": "Kiosk", "wifiHidden": true, "roleScopeTagIds": ["0", "7"],
                   "enrollmentMode": "corporateOwnedFullyManaged"})
        );
        // Not a Boolean: sent as text, for the server to refuse with its message.
        assert_eq!(input.rows[1].body["wifiHidden"], json!("maybe"));
        assert_eq!(input.rows[1].body["roleScopeTagIds"], json!(["a;b"]));
        assert_eq!(input.rows[1].body["description"], json!("two\nlines"));
    }

    #[test]
    fn an_unknown_column_fails_the_file_naming_it() {
        let e = read_csv(b"displayName,dispayName\nx,y\n", &PROFILES).unwrap_err();
        assert!(e.to_string().contains("'dispayName' is no member"), "{e}");
    }

    #[test]
    fn rows_without_key_or_with_a_repeated_key_are_refused() {
        let mut input = read_jsonl(
            b"{\"displayName\":\"a\"}\n\n{\"description\":\"no name\"}\n[1]\n{\"displayName\":\"a\"}\nnot json\n",
        );
        input.keep_keyed("displayName");
        assert_eq!(input.rows.len(), 1);
        let refused: Vec<(usize, &str)> =
            input.rejected.iter().map(|r| (r.number, r.code)).collect();
        assert_eq!(
            refused,
            [
                (3, "MissingKey"),
                (4, "InvalidRow"),
                (5, "DuplicateKey"),
                (6, "InvalidRow")
            ]
        );
    }

    #[test]
    fn the_key_must_be_a_comparable_text_member() {
        assert!(key_member("displayName").is_ok());
        assert!(key_member("wifiPassword").is_err());
        assert!(key_member("tokenValue").is_err());
        let e = key_member("wifiHidden").unwrap_err().to_string();
        assert!(e.contains("displayName"), "{e}");
    }
}
