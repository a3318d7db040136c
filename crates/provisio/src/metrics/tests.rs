use super::*;

#[test]
fn requests_are_labelled_by_template_method_and_status() {
    let m = Metrics::new();
    let route = "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}";
    m.request(route, &Method::GET, 200, 0.003);
    m.request(route, &Method::GET, 200, 0.003);
    m.request(
        route,
        &Method::from_bytes(b"BREW").expect("method"),
        405,
        0.001,
    );
    m.throttled(Scope::App, Kind::Write);
    let text = m.encode();
    assert!(
        text.contains(&format!(
            "provisio_http_requests_total{{route=\"{route}\",method=\"GET\",status=\"200\"}} 2\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("method=\"other\",status=\"405\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "provisio_http_request_duration_seconds_bucket{{le=\"0.004\",route=\"{route}\",method=\"GET\"}} 2\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("provisio_throttled_requests_total{scope=\"app\",kind=\"write\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("# TYPE provisio_sqlite_write_batch_size histogram"));
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn database_errors_are_counted_by_kind() {
    let count = |kind: &str| {
        let text = Metrics::new().encode();
        let prefix = format!("provisio_database_errors_total{{kind=\"{kind}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |v| v.parse::<u64>().expect("count"))
    };
    let before = count("busy");
    let _ = ApiError::from(StoreError::Busy);
    assert!(count("busy") > before);
}
