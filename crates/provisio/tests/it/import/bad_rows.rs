//! Rows the server refuses are reported with its code and message, on the output and in the
//! errors file, while the other rows are imported; once corrected, a rerun sends only them.

use super::{args, by_name, import, target};
use crate::common::TestServer;

#[tokio::test]
async fn refused_rows_carry_the_servers_message_and_the_others_are_imported() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.csv");
    let errors = dir.path().join("errors.csv");
    let long = "n".repeat(257);
    let write = |bad_mode: &str, bad_name: &str, bad_hidden: &str| {
        let mut text = String::from("displayName,enrollmentMode,wifiHidden\n");
        for i in 0..30 {
            let line = match i {
                4 => format!("Row {i},{bad_mode},false\n"),
                9 => format!("{bad_name},corporateOwnedDedicatedDevice,false\n"),
                17 => format!("Row {i},corporateOwnedDedicatedDevice,{bad_hidden}\n"),
                _ => format!("Row {i},corporateOwnedDedicatedDevice,true\n"),
            };
            text.push_str(&line);
        }
        // A row without a name, and one repeating an earlier name.
        text.push_str(
            ",corporateOwnedDedicatedDevice,true\nRow 2,corporateOwnedDedicatedDevice,true\n",
        );
        std::fs::write(&file, text).unwrap();
    };
    write("corporateOwnedKiosk", &long, "sometimes");
    let t = target(&s, &s.base);
    let mut a = args(&file);
    a.errors = Some(errors.clone());

    let (summary, out) = import(&t, &a).await;
    assert_eq!((summary.created, summary.failed), (27, 5), "{out}");
    assert_eq!(summary.exit_code(), 7);
    assert!(summary.state_kept);
    let failed: Vec<(usize, Option<u16>, &str)> = summary
        .failures
        .iter()
        .map(|f| (f.row, f.status, f.code.as_str()))
        .collect();
    // Row numbers are the file's lines (the header is line 1).
    for expected in [
        (6, Some(400), "BadRequest"),
        (11, Some(400), "BadRequest"),
        (19, Some(400), "BadRequest"),
        (32, None, "MissingKey"),
        (33, None, "DuplicateKey"),
    ] {
        assert!(failed.contains(&expected), "{expected:?} in {failed:?}");
    }
    // The server's own messages, naming the member and the rule.
    let message = |row: usize| {
        let f = summary.failures.iter().find(|f| f.row == row).unwrap();
        f.message.clone()
    };
    assert!(message(6).contains("enrollmentMode"), "{}", message(6));
    assert!(message(6).contains("corporateOwnedKiosk"), "{}", message(6));
    assert!(message(11).contains("displayName"), "{}", message(11));
    assert!(message(11).contains("256"), "{}", message(11));
    assert!(message(19).contains("wifiHidden"), "{}", message(19));
    assert!(
        out.contains(&format!(
            "row 6 (Row 4) failed: 400 BadRequest: {}",
            message(6)
        )),
        "{out}"
    );

    let mut reader = csv::Reader::from_path(&errors).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["row", "key", "status", "code", "message"]
    );
    let lines: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 5);
    let row6 = lines.iter().find(|l| &l[0] == "6").unwrap();
    assert_eq!(
        (&row6[1], &row6[2], &row6[3]),
        ("Row 4", "400", "BadRequest")
    );
    assert_eq!(&row6[4], message(6));
    assert_eq!(by_name(&s).await.len(), 27);

    // Corrected: the rerun sends the three rows the server refused, and nothing else.
    write("corporateOwnedFullyManaged", "Row 9", "false");
    let (summary, out) = import(&t, &a).await;
    assert_eq!(
        (summary.created, summary.earlier, summary.failed),
        (3, 27, 2),
        "{out}"
    );
    let profiles = by_name(&s).await;
    assert_eq!(profiles.len(), 30);
    assert_eq!(
        profiles["Row 4"]["enrollmentMode"],
        "corporateOwnedFullyManaged"
    );
}
