//! The independent oracle of the query tests: evaluates a parsed `$filter`, `$search`,
//! `$orderby` and `$skip` over in-memory profiles with the rules of docs/API.md (Queries), written
//! directly from those rules rather than from the SQL compiler: strings by `to_lowercase`,
//! enums by number, date-times as instants, NULL before every value ascending, two-valued logic
//! (`ne` is true for NULL, every other comparison false), ties by id in the last key's direction.

use std::cmp::Ordering;

use odata::{CompareOp, Direction, ElementFilter, Filter, QueryOptions, StringFunction, Value};
use provisio::model::{Profile, Timestamp};

/// A member's value, ready to compare.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Null,
    Bool(bool),
    Int(i64),
    Instant(i128),
    Text(String),
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn text(s: Option<&str>) -> V {
    s.map_or(V::Null, |s| V::Text(fold(s)))
}

fn instant(t: Timestamp) -> V {
    V::Instant(t.as_datetime().unix_timestamp_nanos())
}

fn value(p: &Profile, member: &str) -> V {
    let token = p.token.as_ref();
    match member {
        "id" => V::Text(p.id.to_string()),
        "accountId" => V::Text(p.tenant.to_string()),
        "displayName" => text(Some(&p.display_name)),
        "description" => text(p.description.as_deref()),
        "enrollmentMode" => V::Int(p.enrollment_mode.value()),
        "enrollmentTokenType" => V::Int(p.enrollment_token_type.value()),
        "createdDateTime" => instant(p.created),
        "lastModifiedDateTime" => instant(p.last_modified),
        "tokenValue" => text(token.map(|t| t.value.expose())),
        "tokenCreationDateTime" => instant(p.token_created()),
        "tokenExpirationDateTime" => instant(p.token_expires()),
        "enrolledDeviceCount" => V::Int(p.enrolled_device_count.into()),
        "enrollmentTokenUsageCount" => V::Int(p.token_usage_count.into()),
        "qrCodeContent" => text(token.map(|t| t.qr_content.expose())),
        "configureWifi" => V::Bool(p.wifi.configure),
        "wifiSsid" => text(p.wifi.ssid.as_deref()),
        "wifiSecurityType" => V::Int(p.wifi.security.value()),
        "wifiHidden" => V::Bool(p.wifi.hidden),
        "isTeamsDeviceProfile" => V::Bool(p.is_teams_device_profile),
        other => panic!("the oracle has no value for {other}"),
    }
}

fn literal(v: &Value) -> V {
    match v {
        Value::String(s) => V::Text(fold(s)),
        Value::Boolean(b) => V::Bool(*b),
        Value::Int(n) => V::Int(*n),
        Value::DateTime(d) => {
            V::Instant(i128::from(d.unix_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos()))
        }
        Value::Enum(e) => V::Int(e.value),
    }
}

fn compare(left: &V, op: CompareOp, right: &V) -> bool {
    if *left == V::Null {
        return op == CompareOp::Ne;
    }
    let ord = left.cmp(right);
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
    }
}

fn string_match(haystack: &str, func: StringFunction, arg: &str) -> bool {
    let arg = fold(arg);
    match func {
        StringFunction::StartsWith => haystack.starts_with(&arg),
        StringFunction::EndsWith => haystack.ends_with(&arg),
        StringFunction::Contains => haystack.contains(&arg),
    }
}

fn element(f: &ElementFilter, tag: &str) -> bool {
    match f {
        ElementFilter::And(items) => items.iter().all(|i| element(i, tag)),
        ElementFilter::Or(items) => items.iter().any(|i| element(i, tag)),
        ElementFilter::Not(inner) => !element(inner, tag),
        ElementFilter::Compare { op, value } => {
            compare(&V::Text(tag.to_owned()), *op, &V::Text(fold(value)))
        }
        ElementFilter::In(values) => values.iter().any(|v| fold(v) == tag),
        ElementFilter::StringMatch { func, arg } => string_match(tag, *func, arg),
    }
}

/// Whether `p` satisfies `f`.
pub fn matches(p: &Profile, f: &Filter) -> bool {
    match f {
        Filter::And(items) => items.iter().all(|i| matches(p, i)),
        Filter::Or(items) => items.iter().any(|i| matches(p, i)),
        Filter::Not(inner) => !matches(p, inner),
        Filter::Compare { prop, op, value: v } => compare(&value(p, prop.name()), *op, &literal(v)),
        Filter::IsNull { prop, negated } => (value(p, prop.name()) == V::Null) != *negated,
        Filter::In { prop, values } => {
            let left = value(p, prop.name());
            values
                .iter()
                .any(|v| compare(&left, CompareOp::Eq, &literal(v)))
        }
        Filter::StringMatch { func, prop, arg } => match value(p, prop.name()) {
            V::Text(s) => string_match(&s, *func, arg),
            _ => false,
        },
        Filter::Any { lambda, .. } => {
            let tags: Vec<String> = p.role_scope_tag_ids.iter().map(|t| fold(t)).collect();
            match lambda {
                None => !tags.is_empty(),
                Some(l) => tags.iter().any(|t| element(&l.predicate, t)),
            }
        }
        Filter::AnyComplex { .. } => {
            panic!("the profile has no collection of complex values, yet the parser built {f}")
        }
    }
}

/// The ids `opts` selects from `profiles`, in order, before paging (`$skip` applied).
pub fn expected(profiles: &[Profile], opts: &QueryOptions) -> Vec<String> {
    let mut rows: Vec<&Profile> = profiles
        .iter()
        .filter(|p| opts.filter.as_ref().is_none_or(|f| matches(p, f)))
        .filter(|p| {
            opts.search.as_ref().is_none_or(|s| {
                let s = fold(s);
                fold(&p.display_name).contains(&s)
                    || p.description
                        .as_deref()
                        .is_some_and(|d| fold(d).contains(&s))
            })
        })
        .collect();
    let tie = opts.orderby.last().map_or(Direction::Asc, |o| o.direction);
    rows.sort_by(|a, b| {
        let keys = opts
            .orderby
            .iter()
            .map(|o| (o.prop.name(), o.direction))
            .chain([("id", tie)]);
        for (member, dir) in keys {
            let ord = value(a, member).cmp(&value(b, member));
            let ord = if dir == Direction::Desc {
                ord.reverse()
            } else {
                ord
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    });
    rows.into_iter()
        .skip(opts.skip.unwrap_or(0) as usize)
        .map(|p| p.id.to_string())
        .collect()
}
