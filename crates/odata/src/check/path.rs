//! Property references in a filter: a top-level member, a path into a complex member
//! (`actor/userPrincipalName`), or a property of the element a lambda ranges over, each checked
//! against the schema with a message that suggests the name meant.

use super::{err, example, text, Checker, Written};
use crate::error::{ErrorKind, QueryError};
use crate::schema::{PropRef, PropertyType};

impl<'s> Checker<'s> {
    /// A filterable top-level member named `name`.
    pub(super) fn property(&self, name: &str, pos: usize) -> Result<PropRef, QueryError> {
        let Some(prop) = self.schema.property(name) else {
            let hint = self
                .schema
                .suggest(name)
                .map(|s| format!("did you mean '{s}'?"));
            return Err(err(
                ErrorKind::UnknownProperty,
                pos,
                format!("unknown property '{name}'"),
            )
            .with_opt_hint(hint));
        };
        if !prop.def().filterable {
            return Err(err(
                ErrorKind::NotAllowed,
                pos,
                format!("'{name}' cannot be used in $filter"),
            ));
        }
        Ok(prop)
    }

    /// The filterable property a written reference names: a top-level member, a path into a
    /// complex member, or (inside a lambda over complex values) a property of the element.
    pub(super) fn resolve(&self, w: Written<'_>) -> Result<PropRef, QueryError> {
        let (name, pos, rest) = w;
        let parent = match self.element {
            None => {
                let top = self.property(name, pos)?;
                if rest.is_empty() {
                    return Ok(top);
                }
                if let PropertyType::ComplexCollection(ty) = top.ty() {
                    let e = example(ty).unwrap_or("property");
                    return Err(err(
                        ErrorKind::Type,
                        pos,
                        format!(
                            "'{name}' is a collection; its elements can only be filtered with any() or all()"
                        ),
                    )
                    .with_hint(format!("e.g. {name}/any(x: x/{e} eq 'value')")));
                }
                top.def()
            }
            Some(scope) if name != scope.var => {
                return Err(err(
                    ErrorKind::Unsupported,
                    pos,
                    format!(
                        "inside any(), only the variable '{}' can be used, not '{name}'",
                        scope.var
                    ),
                ))
            }
            Some(scope) => {
                if rest.is_empty() {
                    let ty = scope.collection.ty;
                    let hint = ty
                        .complex_type()
                        .and_then(example)
                        .map(|e| format!("compare one of its properties, e.g. {name}/{e} eq ..."));
                    return Err(err(
                        ErrorKind::Type,
                        pos,
                        format!(
                            "'{name}' is an element of {} and cannot be used whole",
                            ty.edm_name()
                        ),
                    )
                    .with_opt_hint(hint));
                }
                scope.collection
            }
        };
        let Some(ty) = parent.ty.complex_type() else {
            let message = match parent.ty {
                PropertyType::StringCollection => format!(
                    "'{name}' is a collection of strings; '/' after it can only introduce any() or all()"
                ),
                other => format!(
                    "'{name}' is {} and has no properties; '/' can only follow a complex property",
                    other.edm_name()
                ),
            };
            return Err(err(ErrorKind::Type, pos, message));
        };
        let (segment, spos) = (&rest[0].0, rest[0].1);
        let Some(def) = ty.property(segment) else {
            let hint = ty.suggest(segment).map(|s| format!("did you mean '{s}'?"));
            return Err(err(
                ErrorKind::UnknownProperty,
                spos,
                format!("unknown property '{segment}' in {}", ty.type_name),
            )
            .with_opt_hint(hint));
        };
        let path = format!("{name}/{segment}");
        if !def.filterable {
            return Err(err(
                ErrorKind::NotAllowed,
                spos,
                format!("'{path}' cannot be used in $filter"),
            ));
        }
        if let Some((next, npos)) = rest.get(1) {
            return Err(match def.ty {
                PropertyType::Complex(_) => err(
                    ErrorKind::Unsupported,
                    *npos,
                    format!("paths go one level deep; '{path}/{next}' is too long"),
                ),
                other => err(
                    ErrorKind::Type,
                    *npos,
                    format!(
                        "'{path}' is {} and has no property '{next}'",
                        other.edm_name()
                    ),
                ),
            });
        }
        Ok(PropRef::nested(parent, def))
    }

    /// A filterable property that can be compared directly (not a collection or complex).
    pub(super) fn scalar(&self, w: Written<'_>) -> Result<PropRef, QueryError> {
        let prop = self.resolve(w)?;
        let (name, pos, _) = w;
        if prop.ty().is_scalar() {
            return Ok(prop);
        }
        if prop.parent().is_some() {
            return Err(err(
                ErrorKind::Unsupported,
                w.2.last().map_or(pos, |s| s.1),
                format!(
                    "'{}' is {}; only scalar properties inside a complex value can be filtered",
                    text(w),
                    prop.ty().edm_name()
                ),
            ));
        }
        Err(match prop.ty() {
            PropertyType::StringCollection => err(
                ErrorKind::Type,
                pos,
                format!("'{name}' is a collection and can only be filtered with any() or all()"),
            )
            .with_hint(format!("e.g. {name}/any(t: t eq 'value')")),
            PropertyType::ComplexCollection(ty) => err(
                ErrorKind::Type,
                pos,
                format!("'{name}' is a collection and can only be filtered with any() or all()"),
            )
            .with_hint(format!(
                "e.g. {name}/any(x: x/{} eq 'value')",
                example(ty).unwrap_or("property")
            )),
            other => err(
                ErrorKind::Type,
                pos,
                format!(
                    "'{name}' is of complex type {} and cannot be compared",
                    other.edm_name()
                ),
            )
            .with_opt_hint(
                other
                    .complex_type()
                    .and_then(example)
                    .map(|e| format!("compare one of its properties, e.g. {name}/{e} eq ...")),
            ),
        })
    }
}
