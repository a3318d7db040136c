//! What the client commands print: an aligned table for people (the default), the Graph JSON
//! (`-o json`) or CSV (`-o csv`) for scripts.
//!
//! - **table**: a list is one row per entity with a few columns chosen per resource; dates lose
//!   their fraction, an unset token date (`0001-01-01T00:00:00Z`) and null show as `-`. One
//!   entity is a two-column table of every member and its value (`qrCodeImage` summarised).
//!   comfy-table lays the columns out by display width, so names in any script line up.
//! - **json**: what the server answered, pretty-printed; a list is one collection
//!   (`{"@odata.context": ..., "value": [every item of every page]}`).
//! - **csv**: the same columns as the table, headed by their Graph member names (`actor/type`
//!   for a nested one), values as the server sent them (null is empty; collections and objects
//!   compact JSON), written by the `csv` crate (quoting as RFC 4180 says).

use clap::{Args, ValueEnum};
use comfy_table::{presets, Table};
use serde_json::Value;

use super::connection::Listing;

/// The output formats.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// An aligned table for people.
    #[default]
    Table,
    /// The Graph JSON, pretty-printed.
    Json,
    /// Comma-separated values with a header row of member names.
    Csv,
}

/// The `-o` flag.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
}

/// How a column's values are shown in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// As they are.
    Text,
    /// A date-time, to the second; the unset token date as `-`.
    Date,
}

/// One column of a list.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// The table's header.
    pub header: &'a str,
    /// The member, `/` between nested names (`actor/userPrincipalName`), a number for an item
    /// of a collection (`resources/0/displayName`); CSV's header.
    pub member: &'a str,
    /// How a table shows it.
    pub kind: Kind,
}

/// A column.
pub const fn col<'a>(header: &'a str, member: &'a str, kind: Kind) -> Column<'a> {
    Column {
        header,
        member,
        kind,
    }
}

/// The date Graph shows for "no token".
const UNSET_DATE: &str = "0001-01-01T00:00:00Z";

/// The member at a `/`-separated path.
fn at<'a>(entity: &'a Value, path: &str) -> &'a Value {
    path.split('/')
        .try_fold(entity, |v, name| match v {
            Value::Array(items) => items.get(name.parse::<usize>().ok()?),
            v => v.get(name),
        })
        .unwrap_or(&Value::Null)
}

/// A value as CSV writes it.
fn raw(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value as a table shows it.
fn shown(value: &Value, kind: Kind) -> String {
    match (value, kind) {
        (Value::Null, _) => "-".into(),
        (Value::String(s), Kind::Date) if s == UNSET_DATE => "-".into(),
        (Value::String(s), Kind::Date) => match (s.get(..19), s.ends_with('Z')) {
            (Some(second), true) => format!("{second}Z"),
            _ => s.clone(),
        },
        (Value::Array(items), _) => items.iter().map(raw).collect::<Vec<_>>().join(","),
        (value, _) => raw(value),
    }
}

/// A table with no borders, columns two spaces apart, lines without trailing blanks.
fn render(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(header);
    for row in rows {
        table.add_row(row);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// CSV with a header row.
fn csv(header: Vec<String>, rows: Vec<Vec<String>>) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header)?;
    for row in rows {
        writer.write_record(&row)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// Pretty JSON with a final newline.
pub fn json(value: &Value) -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(value)?))
}

/// A list in `format`.
pub fn list(format: Format, columns: &[Column], listing: &Listing) -> anyhow::Result<String> {
    let rows = |show: &dyn Fn(&Value, Kind) -> String| -> Vec<Vec<String>> {
        listing
            .items
            .iter()
            .map(|item| {
                columns
                    .iter()
                    .map(|c| show(at(item, c.member), c.kind))
                    .collect()
            })
            .collect()
    };
    match format {
        Format::Json => json(&listing.to_json()),
        Format::Table => Ok(render(
            columns.iter().map(|c| c.header.to_owned()).collect(),
            rows(&shown),
        )),
        Format::Csv => csv(
            columns.iter().map(|c| c.member.to_owned()).collect(),
            rows(&|v, _| raw(v)),
        ),
    }
}

/// One entity in `format`: JSON as answered, a CSV row of `columns`, or a table of every member.
pub fn entity(format: Format, columns: &[Column], entity: &Value) -> anyhow::Result<String> {
    match format {
        Format::Json => json(entity),
        Format::Csv => list(
            format,
            columns,
            &Listing {
                annotations: serde_json::Map::new(),
                items: vec![entity.clone()],
            },
        ),
        Format::Table => {
            let Value::Object(members) = entity else {
                return Ok(format!("{entity}\n"));
            };
            let rows = members
                .iter()
                .filter(|(name, _)| !name.starts_with('@'))
                .map(|(name, value)| vec![name.clone(), member_cell(name, value)])
                .collect();
            Ok(render(vec!["MEMBER".into(), "VALUE".into()], rows))
        }
    }
}

/// One member's value in the table of an entity.
fn member_cell(name: &str, value: &Value) -> String {
    if let (Some(kind), Some(data)) = (
        value.get("type").and_then(Value::as_str),
        value.get("value").and_then(Value::as_str),
    ) {
        // mimeContent (qrCodeImage): its type and size, not a screenful of base64.
        return format!("{kind}, {} bytes of base64", data.len());
    }
    let kind = if name.ends_with("DateTime") {
        Kind::Date
    } else {
        Kind::Text
    };
    shown(value, kind)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const COLUMNS: [Column<'static>; 3] = [
        col("NAME", "displayName", Kind::Text),
        col("EXPIRES", "tokenExpirationDateTime", Kind::Date),
        col("WHO", "actor/type", Kind::Text),
    ];

    fn listing() -> Listing {
        Listing {
            annotations: serde_json::Map::new(),
            items: vec![
                json!({"displayName": "Lobby, east", "tokenExpirationDateTime": "2026-12-09T10:00:00.1234567Z", "actor": {"type": "ItPro"}}),
                json!({"displayName": "Übergrößen", "tokenExpirationDateTime": UNSET_DATE, "actor": null}),
            ],
        }
    }

    #[test]
    fn tables_align_by_display_width_and_shorten_dates() {
        let table = list(Format::Table, &COLUMNS, &listing()).unwrap();
        assert_eq!(
            table,
            "NAME         EXPIRES               WHO\n\
             Lobby, east  2026-12-09T10:00:00Z  ItPro\n\
             Übergrößen   -                     -\n"
        );
    }

    #[test]
    fn csv_quotes_and_keeps_the_raw_values() {
        let text = list(Format::Csv, &COLUMNS, &listing()).unwrap();
        assert_eq!(
            text,
            "displayName,tokenExpirationDateTime,actor/type\n\
             \"Lobby, east\",2026-12-09T10:00:00.1234567Z,ItPro\n\
             Übergrößen,0001-01-01T00:00:00Z,\n"
        );
    }

    #[test]
    fn an_entity_table_lists_its_members_and_summarises_images() {
        let entity = json!({"@odata.etag": "W/\"1\"", "id": "a", "roleScopeTagIds": ["0", "7"],
            "qrCodeImage": {"@odata.type": "microsoft.graph.mimeContent", "type": "image/png", "value": "iVBORw0K"}});
        assert_eq!(
            super::entity(Format::Table, &COLUMNS, &entity).unwrap(),
            "MEMBER           VALUE\n\
             id               a\n\
             roleScopeTagIds  0,7\n\
             qrCodeImage      image/png, 8 bytes of base64\n"
        );
    }
}
