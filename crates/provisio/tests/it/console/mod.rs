//! The admin console (docs/CONSOLE.md): its files and security headers, the development
//! sign-in's rules, and the console itself in headless Chromium: a profile created through the
//! form (with the server's validation message next to its field), a token and its QR code read
//! back from the page's `<img>`, the enrollment sheet printed to PDF and read back, the devices
//! with a superseded record, a retire and a wipe, revoke, delete; accessible names; hostile values
//! rendered as text under the CSP; a read-only token and a 403.

mod browser;
mod sign_in;

use std::process::Command;

use base64::Engine as _;
use provisio::auth::{AUDIT_READ_ALL, READ_ALL};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{ok_json, TestServer};
use crate::devices::{enroll, new_token, Device};
use browser::Browser;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

#[tokio::test]
async fn the_console_is_served_with_a_strict_content_security_policy() {
    let s = TestServer::start().await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/console/app.js", "text/javascript"),
        ("/console/style.css", "text/css"),
    ] {
        let res = s.bare.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = res.headers();
        assert_eq!(h["content-security-policy"], CSP, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(
            h["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("<script>") && !body.contains("style="),
            "{path}: inline code"
        );
        if path == "/" {
            assert!(body.contains(r#"<script type="module" src="/console/app.js">"#));
        }
    }
}

#[tokio::test]
async fn the_development_sign_in_answers_only_the_console_on_loopback() {
    let s = TestServer::start().await;
    let sign_in = |headers: &[(&str, &str)]| {
        let mut req = s.bare.post(s.url("/console/dev-token"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let res = sign_in(&[("x-provisio-console", "1")]).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let token = body["accessToken"].as_str().unwrap();
    assert_eq!(body["tenantId"], s.dev_tenant.to_string());
    // The token works on the API.
    let res = crate::common::client_with_token(token)
        .get(s.collection())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Without the console's header (a form or a link of another site), for another site's name
    // pointed at this machine, or from another origin: refused.
    let refused: [(&[(&str, &str)], StatusCode); 3] = [
        (&[], StatusCode::BAD_REQUEST),
        (
            &[
                ("x-provisio-console", "1"),
                ("host", "attacker.example:8080"),
            ],
            StatusCode::FORBIDDEN,
        ),
        (
            &[
                ("x-provisio-console", "1"),
                ("origin", "http://attacker.example"),
            ],
            StatusCode::FORBIDDEN,
        ),
    ];
    for (headers, status) in refused {
        let res = sign_in(headers).await.unwrap();
        assert_eq!(res.status(), status, "{headers:?}");
    }
    let res = s
        .bare
        .get(s.url("/console/dev-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// A profile's QR code as its page shows it: the `<img>`'s data URL, decoded.
async fn qr_of_page(b: &Browser, css: &str) -> Vec<u8> {
    let img = b.find(css).await;
    let alt = img.attr("alt").await.unwrap().unwrap_or_default();
    assert!(alt.contains("QR code"), "alt text: {alt:?}");
    let src = img.attr("src").await.unwrap().unwrap();
    let data = src
        .strip_prefix("data:image/png;base64,")
        .unwrap_or_else(|| panic!("a PNG data URL: {}", &src[..40.min(src.len())]));
    let png = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    qr_check::decode_rqrr(&png)
}

/// Prints the current page to PDF and returns (pages, what the QR code on page 1 holds).
async fn print_and_read_qr(b: &Browser, size: &fantoccini::wd::PrintSize) -> (u32, Vec<u8>) {
    let config = fantoccini::wd::PrintConfiguration::builder()
        .size(size.clone())
        .background(true)
        .build()
        .unwrap();
    let pdf = b.client.print(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sheet.pdf");
    std::fs::write(&path, pdf).unwrap();
    let pdfinfo = crate::common::debian_binary(&["/usr/bin/pdfinfo"], browser::PACKAGES);
    let pdftoppm = crate::common::debian_binary(&["/usr/bin/pdftoppm"], browser::PACKAGES);
    let info = Command::new(pdfinfo).arg(&path).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo: {info}"));
    let out = dir.path().join("page");
    let render = Command::new(pdftoppm)
        .args([
            "-png",
            "-r",
            "150",
            "-gray",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
        ])
        .arg(&path)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    let png = std::fs::read(dir.path().join("page.png")).unwrap();
    if *size == fantoccini::wd::PrintSize::A4 {
        save_screenshot("sheet-a4.png", &png);
    }
    (pages, qr_check::decode_rqrr_rendered(&png))
}

/// Saves a screenshot of the window into the directory `PROVISIO_SCREENSHOTS` names, if any.
async fn screenshot(b: &Browser, name: &str) {
    if std::env::var_os("PROVISIO_SCREENSHOTS").is_some() {
        save_screenshot(name, &b.client.screenshot().await.unwrap());
    }
}

fn save_screenshot(name: &str, png: &[u8]) {
    if let Some(dir) = std::env::var_os("PROVISIO_SCREENSHOTS") {
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}

fn hash_id(url: &str) -> Option<String> {
    let rest = url.split("#/p/").nth(1)?;
    Some(rest.split(['/', '?']).next()?.to_owned())
}

#[tokio::test]
async fn an_admin_manages_a_profile_its_token_sheet_and_devices_in_the_browser() {
    let started = std::time::Instant::now();
    let s = TestServer::start().await;
    let b = Browser::start(1280, 1000).await;
    b.client.goto(&s.url("/")).await.unwrap();
    b.wait_text("h1", "Enrollment profiles").await;
    assert_eq!(b.unnamed_controls().await, Vec::<String>::new(), "the list");
    // The keyboard reaches the navigation, the new profile link and the search, in order.
    let reached = b.tab_through(10).await;
    let at = |what: &str| {
        reached
            .iter()
            .position(|r| r == what)
            .unwrap_or_else(|| panic!("Tab never reached {what}: {reached:?}"))
    };
    assert!(at("Profiles") < at("New profile") && at("New profile") < at("search-name"));
    assert!(at("search-name") < at("search-mode") && at("search-mode") < at("Search"));

    // Create, first with a password WPA refuses: the server's message shows next to the field.
    b.click_button("main", "New profile").await;
    b.wait_text("h1", "New profile").await;
    assert_eq!(b.unnamed_controls().await, Vec::<String>::new(), "the form");
    b.fill("#f-displayName", "Warehouse scanners").await;
    b.fill("#f-description", "Building 2, dock doors").await;
    b.select("#f-enrollmentMode", "corporateOwnedDedicatedDevice")
        .await;
    b.fill("#f-wifiSsid", "Warehouse").await;
    b.select("#f-wifiSecurityType", "wpa").await;
    b.fill("#f-wifiPassword", "short").await;
    b.fill("#f-deviceNameTemplate", "Scanner-{{SERIAL}}").await;
    b.click_button("form", "Create profile").await;
    let message = b.wait_text("#f-wifiPassword-error", "wifiPassword").await;
    assert_eq!(
        b.find("#f-wifiPassword")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert!(s.list_all().await.is_empty(), "nothing stored: {message}");
    b.fill("#f-wifiPassword", "forklift-42").await;
    b.click_button("form", "Create profile").await;
    b.wait_text("main h1", "Warehouse scanners").await;
    let url = b.client.current_url().await.unwrap();
    let id = hash_id(url.as_str()).expect("the profile's page");
    let stored = ok_json(s.get(&s.item(&id)).await).await;
    assert_eq!(stored["wifiPassword"], "forklift-42");
    assert_eq!(stored["deviceNameTemplate"], "Scanner-{{SERIAL}}");

    // A token valid for 3 days: the QR code, its expiry in plain sight, the network.
    b.fill("#token-validity", "3").await;
    b.select("#token-unit", "86400").await;
    b.click_button(".token-form", "Create token").await;
    let expiry = b.wait_text(".expiry", "in 3 days").await;
    assert!(expiry.starts_with("Expires"), "{expiry}");
    let token_text = b.text(".token").await;
    assert!(token_text.contains("Warehouse"), "the network is named");
    assert!(!token_text.contains("null"), "{token_text}");
    let api = ok_json(s.get(&s.item(&id)).await).await;
    let content = api["qrCodeContent"].as_str().unwrap();
    assert_eq!(qr_of_page(&b, "img.qr").await, content.as_bytes());
    assert_eq!(
        b.unnamed_controls().await,
        Vec::<String>::new(),
        "the profile page"
    );
    // The keyboard reaches the profile's actions and its token's, in the page's order.
    b.client
        .execute(
            "document.activeElement.blur(); window.scrollTo(0, 0);",
            vec![],
        )
        .await
        .unwrap();
    let reached = b.tab_through(25).await;
    let at = |what: &str| {
        reached
            .iter()
            .position(|r| r == what)
            .unwrap_or_else(|| panic!("Tab never reached {what}: {reached:?}"))
    };
    assert!(at("Edit") < at("Delete profile"));
    assert!(at("Delete profile") < at("Enrollment sheet to print"));
    assert!(at("Enrollment sheet to print") < at("Revoke token"));
    assert!(at("Revoke token") < at("token-validity"));
    // The page at desktop width and on a 390 px wide phone: nothing wider than the screen.
    // `PROVISIO_SCREENSHOTS=docs/screenshots` saves both (the README shows them).
    screenshot(&b, "console-desktop.png").await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.until("a 390 px wide window", "return window.innerWidth <= 400;")
        .await;
    assert!(!b.overflows().await, "the profile page fits 390 px");
    screenshot(&b, "console-390.png").await;
    // 200 % zoom of a 1280 px window is a 640 px wide layout.
    b.client.set_window_size(640, 900).await.unwrap();
    b.until("a 640 px wide window", "return window.innerWidth <= 650;")
        .await;
    assert!(!b.overflows().await, "the profile page fits 640 px");
    b.client.set_window_size(1280, 1000).await.unwrap();

    // The zero-touch DPC extras the page offers hold the QR code's admin extras.
    let extras = b
        .client
        .execute(
            "return import('/console/api.js').then(m => m.call('GET', m.profilePath(arguments[0])).then(m.dpcExtras));",
            vec![json!(id)],
        )
        .await
        .unwrap();
    let qr: Value = serde_json::from_str(content).unwrap();
    let key = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
    assert_eq!(extras, json!({ key: qr[key] }));

    // The sheet prints on one page, Letter and A4, and its QR code reads back.
    b.click_button(".token", "Enrollment sheet to print").await;
    b.wait_text(".sheet", "Steps").await;
    let sheet = b.text(".sheet").await;
    assert!(
        sheet.contains("Warehouse") && sheet.contains("Dedicated device"),
        "{sheet}"
    );
    assert!(sheet.contains("the QR code itself carries it"), "{sheet}");
    assert!(sheet.contains("six times"), "{sheet}");
    assert!(
        !sheet.contains("forklift-42"),
        "the password is never printed"
    );
    for size in [
        fantoccini::wd::PrintSize::US_LETTER,
        fantoccini::wd::PrintSize::A4,
    ] {
        let (pages, decoded) = print_and_read_qr(&b, &size).await;
        assert_eq!(pages, 1, "one page");
        assert_eq!(decoded, content.as_bytes(), "the printed QR code");
    }

    // Devices: one enrolled twice (the older record superseded), then retired in the page.
    let token = api["tokenValue"].as_str().unwrap();
    for _ in 0..2 {
        let res = enroll(&s, &Device::new("R58N12345XY"), token).await;
        assert!(res.status().is_success(), "{}", res.status());
    }
    b.client.goto(&s.url(&format!("/#/p/{id}"))).await.unwrap();
    b.wait_text("table.devices", "superseded").await;
    let retire = b
        .find("table.devices tr:not(.superseded) button[aria-label^='Retire']")
        .await;
    retire.click().await.unwrap();
    b.click_button("dialog", "Retire").await;
    b.wait_text("table.devices", "retirePending").await;
    // A second device, wiped in the page: the retired one has no actions left, so the one Wipe
    // button is the new device's.
    let res = enroll(&s, &Device::new("R58N67890ZZ"), token).await;
    assert!(res.status().is_success(), "{}", res.status());
    b.client.goto(&s.url(&format!("/#/p/{id}"))).await.unwrap();
    b.client.refresh().await.unwrap();
    let wipe = b
        .find("table.devices tr:not(.superseded) button[aria-label^='Wipe']")
        .await;
    wipe.click().await.unwrap();
    b.click_button("dialog", "Wipe").await;
    b.wait_text("table.devices", "wipePending").await;
    b.wait_text("ol.audit", "createToken").await;

    // Revoke, then delete, each confirmed.
    b.click_button(".token", "Revoke token").await;
    b.click_button("dialog", "Revoke").await;
    b.wait_text(".token", "No token").await;
    assert!(ok_json(s.get(&s.item(&id)).await).await["tokenValue"].is_null());
    // Edit: the form holds the stored values; the password stays unless a new one is typed.
    b.click_button("main", "Edit").await;
    b.wait_text("h1", "Edit Warehouse scanners").await;
    let shown = b.find("#f-description").await.prop("value").await.unwrap();
    assert_eq!(shown.as_deref(), Some("Building 2, dock doors"));
    b.fill("#f-description", "Building 3").await;
    b.click_button("form", "Save").await;
    b.wait_text(".details", "Building 3").await;
    let edited = ok_json(s.get(&s.item(&id)).await).await;
    assert_eq!(edited["description"], "Building 3");
    assert_eq!(edited["wifiPassword"], "forklift-42");
    b.click_button("main", "Delete profile").await;
    b.click_button("dialog", "Delete").await;
    b.wait_text("main h1", "Enrollment profiles").await;
    assert_eq!(s.get(&s.item(&id)).await.status(), StatusCode::NOT_FOUND);

    // The validity is bounded by the mode: 90 days for AOSP. Past it the page says so; at it the
    // server's answer (409: this server has no AOSP DPC configured) shows at the same field.
    let aosp = s
        .create(json!({"displayName": "Lobby tablets", "enrollmentMode": "corporateOwnedAOSPUserlessDevice"}))
        .await;
    let aosp = aosp["id"].as_str().unwrap();
    b.client
        .goto(&s.url(&format!("/#/p/{aosp}")))
        .await
        .unwrap();
    b.wait_text("#token-validity-hint", "At most 90 days").await;
    b.fill("#token-validity", "91").await;
    b.click_button(".token-form", "Create token").await;
    b.wait_text("#token-validity-error", "and 90 days").await;
    b.fill("#token-validity", "90").await;
    b.click_button(".token-form", "Create token").await;
    b.wait_text("#token-validity-error", "aosp_dpc").await;
    eprintln!("browser walkthrough took {:?}", started.elapsed());
}

#[tokio::test]
async fn hostile_values_are_text_and_read_only_tokens_get_no_write_controls() {
    let s = TestServer::start().await;
    let payloads = [
        r#"<img src=x onerror="document.title='pwned';window.pwned=1">"#,
        r#"<script>document.title='pwned';window.pwned=1</script>"#,
        r#""><svg onload=window.pwned=1>"#,
    ];
    let mut ids = Vec::new();
    for p in payloads {
        let created = s
            .create(json!({
                "displayName": p, "description": p, "wifiSsid": "<svg onload=window.pwned=1>",
                "wifiSecurityType": "wpa", "wifiPassword": "<b>password</b>",
            }))
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        new_token(&s, &id).await;
        ids.push(id);
    }
    for i in 0..25 {
        let mode = if i % 5 == 0 {
            "corporateOwnedFullyManaged"
        } else {
            "corporateOwnedDedicatedDevice"
        };
        s.create(json!({"displayName": format!("Paging {i:02}"), "enrollmentMode": mode}))
            .await;
    }
    let b = Browser::start(390, 844).await;
    let clean = || async {
        let v = b
            .client
            .execute("return [document.title, typeof window.pwned];", vec![])
            .await
            .unwrap();
        assert_ne!(v[0], "pwned", "a script ran: {v}");
        assert_eq!(v[1], "undefined", "a script ran: {v}");
    };
    b.client.goto(&s.url("/")).await.unwrap();
    b.wait_text("table", payloads[0]).await;
    clean().await;
    assert!(!b.overflows().await, "the list fits 390 px");

    // 28 profiles: two pages of 25, through the nextLink and back.
    b.click_button(".pager", "Next page").await;
    b.wait_text(".pager", "Page 2").await;
    b.wait_text("table", "Paging 24").await;
    assert_eq!(
        b.client
            .find_all(fantoccini::Locator::Css("table.profiles tbody tr"))
            .await
            .unwrap()
            .len(),
        3
    );
    b.click_button(".pager", "Previous page").await;
    b.wait_text(".pager", "Page 1").await;
    // Search by the start of the name, and by mode.
    b.fill("#search-name", "paging 1").await;
    b.click_button("form.search", "Search").await;
    b.wait_text("table", "Paging 19").await;
    let rows = b.text("table.profiles tbody").await;
    assert_eq!(rows.lines().count(), 10, "{rows}");
    b.select("#search-mode", "corporateOwnedFullyManaged").await;
    b.click_button("form.search", "Search").await;
    b.until(
        "the two fully managed profiles named Paging 1x",
        "const t = document.querySelector('table.profiles tbody'); return t && t.rows.length === 2 && t.innerText.includes('Paging 10') && t.innerText.includes('Paging 15');",
    )
    .await;
    // The tokens that expire within a day: the three, soonest first.
    b.client.goto(&s.url("/#/expiring?days=1")).await.unwrap();
    b.wait_text("h1", "Tokens that expire soon").await;
    b.until(
        "three expiring tokens",
        "const t = document.querySelector('main tbody'); return t && t.rows.length === 3;",
    )
    .await;
    clean().await;
    for (id, p) in ids.iter().zip(payloads) {
        b.client.goto(&s.url(&format!("/#/p/{id}"))).await.unwrap();
        let h1 = b.wait_text("main h1", p).await;
        assert_eq!(h1, p, "shown as text");
        b.wait_text(".details", "<svg onload=window.pwned=1>").await;
        clean().await;
        b.client
            .goto(&s.url(&format!("/#/p/{id}/sheet")))
            .await
            .unwrap();
        b.wait_text(".sheet", "Steps").await;
        clean().await;
    }
    b.client
        .goto(&s.url(&format!("/#/p/{}", ids[0])))
        .await
        .unwrap();
    b.wait_text(".token", "Revoke token").await;
    assert!(!b.overflows().await, "the profile page fits 390 px");

    // Two hours later (the page's clock moved on; the tokens were valid for one hour) the page
    // warns that the code has expired, and so does the sheet.
    b.client
        .execute(
            "const Real = Date; const later = () => Real.now() + 2 * 3600 * 1000;
             globalThis.Date = class extends Real {
               constructor(...a) { if (a.length) super(...a); else super(later()); }
               static now() { return later(); }
             };
             window.dispatchEvent(new HashChangeEvent('hashchange'));",
            vec![],
        )
        .await
        .unwrap();
    b.wait_text(".token .warning", "This token has expired")
        .await;
    b.wait_text(".expiry", "hour ago").await;
    b.client
        .goto(&s.url(&format!("/#/p/{}/sheet", ids[0])))
        .await
        .unwrap();
    b.wait_text(".sheet", "This code has expired").await;

    // A read-only token, pasted: no control that writes, and the API's 403 shown as such.
    let read_only = s.dev_token(s.dev_tenant, &[READ_ALL], false);
    b.client.goto(&s.url("/")).await.unwrap();
    b.click_button("#account", "Use another access token").await;
    b.fill("#access-token", &read_only).await;
    b.click_button("dialog", "Use this token").await;
    b.wait_text("#account", "(read-only)").await;
    b.wait_text("table", payloads[1]).await;
    assert!(!b.text("main").await.contains("New profile"));
    b.client
        .goto(&s.url(&format!("/#/p/{}", ids[0])))
        .await
        .unwrap();
    b.wait_text(".token", "Enrollment sheet").await;
    let page = b.text("main").await;
    for control in [
        "Revoke token",
        "Delete profile",
        "Create a new token",
        "Edit",
    ] {
        assert!(
            !page.contains(control),
            "{control} shown to a read-only token"
        );
    }
    let audit_only = s.dev_token(s.dev_tenant, &[AUDIT_READ_ALL], false);
    b.click_button("#account", "Use another access token").await;
    b.fill("#access-token", &audit_only).await;
    b.click_button("dialog", "Use this token").await;
    let shown = b.wait_text("main [data-status='403']", "Not allowed").await;
    assert!(shown.contains("DeviceManagementConfiguration"), "{shown}");
}
