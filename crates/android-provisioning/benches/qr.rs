//! Cost of building `qrCodeContent` and `qrCodeImage`: payload + QR + PNG + base64, for a
//! typical payload (Android Device Policy, no Wi-Fi: 533 bytes) and a ~1,000-byte one (target:
//! under 1 ms). The baseline, measured in the same run, is the `qrcode` crate building the same
//! 1,000-byte code by itself (no PNG): the ratio shows what the faster mask choice buys.
//!
//! Run with `cargo bench -p android-provisioning --bench qr`.

use android_provisioning::{
    payload, render_png, CustomDpc, CustomDpcSettings, Dpc, PayloadRequest, Wifi, WifiSecurity,
};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// The operator DPC used for the large case.
fn custom_dpc() -> CustomDpc {
    CustomDpc::new(&CustomDpcSettings {
        component_name: "com.example.enterprise.dpc/.receivers.DeviceAdminReceiver",
        download_url:
            "https://downloads.mdm.example.com/android/dpc/releases/dpc-4.2.1-release.apk",
        signature_checksum: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        token_extras_key: "com.example.enterprise.dpc.EXTRA_ENROLLMENT_TOKEN",
        enrollment_url_extras_key: "com.example.enterprise.dpc.EXTRA_ENROLLMENT_URL",
        enrollment_url: "https://mdm.example.com/enrollment/android/aosp/v1/redeem",
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Renders and encodes as the service does for one profile.
fn content_and_image(req: &PayloadRequest<'_>) -> (String, String) {
    let text = payload(req);
    let image = render_png(&text).unwrap_or_else(|e| panic!("{e}"));
    let base64 = image.png_base64();
    (text, base64)
}

fn bench(c: &mut Criterion) {
    let typical = PayloadRequest {
        dpc: Dpc::AndroidDevicePolicy,
        token: "WINFPMWZHDMYATCYIHVK",
        enrollment_mode: "corporateOwnedFullyManaged",
        wifi: None,
    };
    let dpc = custom_dpc();
    // A 32-byte UTF-8 SSID (escaped to 6 bytes per character) and a 63-character password
    // push the AOSP payload to about 1,000 bytes.
    let long_token = "QWERTYUIOPASDFGHJKLZXCVBNMQWERTYUIOPASDFGHJKLZXCVBNMQWERTYUIOPASDFGHJKLZ";
    let large = PayloadRequest {
        dpc: Dpc::Custom(&dpc),
        token: long_token,
        enrollment_mode: "corporateOwnedAOSPUserlessDevice",
        wifi: Some(Wifi {
            ssid: "Lager-Süd Ä Ö Ü 無線 📶",
            security: WifiSecurity::Wpa,
            password: Some("Tr0ub4dor&3-correct-horse-battery-staple-\"quoted\"-\\back\\slash"),
            hidden: true,
        }),
    };
    for (name, req) in [("typical", &typical), ("large", &large)] {
        let text = payload(req);
        let image = render_png(&text).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "{name}: payload {} bytes, version {} at {}, PNG {} bytes ({} px)",
            text.len(),
            image.version(),
            image.ec_level(),
            image.png().len(),
            image.width_px()
        );
    }

    let mut group = c.benchmark_group("qr");
    group.bench_function("baseline/qrcode_crate_matrix_only_1000B", |b| {
        b.iter(|| {
            qrcode::QrCode::with_error_correction_level(
                black_box(payload(&large)).as_bytes(),
                qrcode::EcLevel::M,
            )
        })
    });
    group.bench_function("typical_533B/payload+png+base64", |b| {
        b.iter(|| content_and_image(black_box(&typical)))
    });
    group.bench_function("large_1000B/payload+png+base64", |b| {
        b.iter(|| content_and_image(black_box(&large)))
    });
    let large_text = payload(&large);
    group.bench_function("large_1000B/payload_only", |b| {
        b.iter(|| payload(black_box(&large)))
    });
    group.bench_function("large_1000B/render_png_only", |b| {
        b.iter(|| render_png(black_box(&large_text)))
    });
    let typical_png = render_png(&payload(&typical)).unwrap_or_else(|e| panic!("{e}"));
    png_alternatives(&mut group, typical_png.png());
    group.finish();
}

/// The typical image's pixel rows encoded again with other compressions: what a smaller PNG
/// would cost. The first case is the service's own setting.
fn png_alternatives(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    png_file: &[u8],
) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_file));
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{e}"));
    let mut rows = vec![0; reader.output_buffer_size().unwrap_or_default()];
    let info = reader
        .next_frame(&mut rows)
        .unwrap_or_else(|e| panic!("{e}"));
    rows.truncate(info.buffer_size());
    let (width, height) = (info.width, info.height);
    let encode = |compression: png::DeflateCompression, filter: png::Filter| {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_deflate_compression(compression);
        encoder.set_filter(filter);
        let mut writer = encoder.write_header().unwrap_or_else(|e| panic!("{e}"));
        writer
            .write_image_data(&rows)
            .unwrap_or_else(|e| panic!("{e}"));
        writer.finish().unwrap_or_else(|e| panic!("{e}"));
        out
    };
    use png::{DeflateCompression as D, Filter as F};
    for (name, compression, filter) in [
        ("fdeflate_up", D::FdeflateUltraFast, F::Up),
        ("fdeflate_nofilter", D::FdeflateUltraFast, F::NoFilter),
        ("zlib1_up", D::Level(1), F::Up),
        ("zlib3_nofilter", D::Level(3), F::NoFilter),
        ("zlib6_up", D::Level(6), F::Up),
    ] {
        eprintln!(
            "typical PNG, {name}: {} bytes",
            encode(compression, filter).len()
        );
        group.bench_function(format!("typical_png_encode/{name}"), |b| {
            b.iter(|| encode(black_box(compression), filter))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
