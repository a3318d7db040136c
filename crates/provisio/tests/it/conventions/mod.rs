//! Graph and OData conventions real clients rely on (docs/API.md, "Service root and the
//! deviceManagement singleton" and "OData conventions"): the service document and the
//! singleton, a metadata-driven Python client walking from the root to every collection, and the
//! query and header conventions (`$top=0`, the named key, `OData-MaxVersion`, unset token dates).

mod options;
mod python;
mod service_root;
