"""A metadata-driven OData client walking the service from its root, with no path written by hand.

Run by tests/it/conventions/python.rs with the pinned odatapy in a virtual environment:

    python odatapy_navigate.py SERVICE_ROOT BEARER_TOKEN

It reads the service document, finds its singletons, loads $metadata, follows each singleton's
containment navigation properties that are collections, and lists every entity of each (paging
through @odata.nextLink as the client does). It prints one JSON object:
{"singletons": {name: url}, "entities": {singleton: {"id": ...}},
 "collections": {"singleton/navigation": {"type": ..., "ids": [...]}}}.
"""

import json
import sys

from odatapy.client import EdmEnabledODataClient
from odatapy.client.auth import BearerAuth
from odatapy.client.transport import HttpxTransport


def main() -> None:
    root, token = sys.argv[1], sys.argv[2]
    client = EdmEnabledODataClient(root, HttpxTransport(auth=BearerAuth(token)))
    document = client.get_service_document()
    container = client.get_edm().entity_container
    out = {"singletons": document.singletons, "entities": {}, "collections": {}}
    for name in document.singletons:
        singleton = container.get_singleton(name)
        entity = client.get_entity(client.singleton_uri(name))
        out["entities"][name] = {"id": entity.get_value("id")}
        entity_type = singleton.entity_type
        for nav_name in entity_type.navigation_property_names:
            nav = entity_type.get_navigation_property(nav_name)
            if not (nav.contains_target and nav.is_collection):
                continue
            uri = client.singleton_uri(name).append_navigation_segment(nav_name).top(2)
            ids = [e.get_value("id") for e in client.iter_entities(uri)]
            out["collections"][f"{name}/{nav_name}"] = {
                "type": nav.type.full_qualified_name.fqn,
                "ids": ids,
            }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
