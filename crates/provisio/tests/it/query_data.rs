//! The fixed data set of the query tests: a few hundred profiles generated deterministically
//! (Unicode and look-alike names, NULLs, every enum value, spread and tied date-times, tokens,
//! tags), ten hand-made profiles whose names start with "Hand " for the hand-written
//! expectations, and rows of another tenant that no query may return. Date-times cannot be set
//! through the API, so the rows go in through the store, into the data directory the server
//! then opens.

use provisio::config::Settings;
use provisio::model::{
    EnrollmentMode, EnrollmentTokenType, Profile, ProfileId, Sensitive, TenantId, Timestamp, Token,
    WifiSecurityType,
};
use provisio::store::Store;
use uuid::Uuid;

use crate::common::TestServer;

/// Generated profiles in the caller's tenant.
pub const GENERATED: usize = 300;

const NAMES: &[&str] = &[
    "Émile",
    "émile",
    "ÉMILE",
    "Emile",
    "ÉCOLE",
    "école",
    "straße",
    "STRASSE",
    "Straße Nord",
    "Kiosk",
    "kiosk 7",
    "KIOSK 10",
    "100% Kiosk",
    "under_score",
    "back\\slash",
    "O'Brien",
    "Zebra",
    "apple",
    "Apple",
    "ÅSA",
    "ß",
    "İstanbul",
    "ΣΊΣΥΦΟΣ",
    "日本語 端末",
    "😀 emoji",
    "a",
    "z",
];

const DESCRIPTIONS: &[&str] = &[
    "Front desk",
    "front DESK kiosks",
    "Café au lait",
    "CAFÉ",
    "50% off_sale",
    "it's",
    "lobby",
    "",
    "Zürich office",
];

const SSIDS: &[&str] = &["Lobby", "LOBBY", "Straße-Net", "guest_net", "Café"];

const TAGS: &[&[&str]] = &[
    &["0"],
    &[],
    &["0", "1"],
    &["Tag-É"],
    &["tag-é", "X"],
    &["Admin", "ADMIN"],
    &["5"],
];

/// The caller's tenant (the development tenant the test server acts for).
pub fn tenant() -> TenantId {
    TenantId(Settings::default().dev_tenant)
}

/// A small deterministic generator (no dependency, same sequence everywhere).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn generated(t: TenantId, i: usize, rng: &mut Lcg) -> Profile {
    let id = ProfileId(Uuid::from_u128(
        (u128::from(rng.next()) << 96 | u128::from(rng.next()) << 32 | i as u128) & !(0xf << 76)
            | (0x4 << 76),
    ));
    let name = match i % 3 {
        0 => NAMES[i % NAMES.len()].to_owned(),
        1 => format!("{} {}", NAMES[(i / 3) % NAMES.len()], i % 7),
        _ => format!("{}{}", NAMES[(i * 7) % NAMES.len()], i),
    };
    // Every 10th profile shares its creation time with another, to exercise ties.
    let minutes = if matches!(i % 10, 0) {
        0
    } else {
        rng.next() % 3_000_000
    };
    let created = ts("2020-01-01T00:00:00Z")
        .plus_seconds((minutes * 60) as i64)
        .unwrap();
    let mut p = Profile::new(t, id, name, created);
    p.last_modified = created.plus_seconds((rng.next() % 100_000) as i64).unwrap();
    p.description =
        (!matches!(i % 4, 0)).then(|| DESCRIPTIONS[(i / 4) % DESCRIPTIONS.len()].to_owned());
    p.enrollment_mode = EnrollmentMode::from_value((i % 5) as i64).unwrap();
    p.enrollment_token_type = EnrollmentTokenType::from_value(((i / 5) % 3) as i64).unwrap();
    p.enrolled_device_count = (rng.next() % 40) as i32;
    p.token_usage_count = (i % 7) as i32;
    p.role_scope_tag_ids = TAGS[i % TAGS.len()]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    p.wifi.configure = matches!(i % 2, 0);
    p.wifi.ssid = (i % 3 != 1).then(|| SSIDS[i % SSIDS.len()].to_owned());
    p.wifi.security = WifiSecurityType::from_value(((i / 3) % 3) as i64).unwrap();
    p.wifi.hidden = i % 4 == 1;
    p.is_teams_device_profile = matches!(i % 6, 0);
    p.device_name_template = (matches!(i % 5, 0)).then(|| "{{SERIAL}}".to_owned());
    if matches!(i % 3, 0) {
        let letters: String = (0..20)
            .map(|_| char::from(b'A' + (rng.next() % 26) as u8))
            .collect();
        let created = created.plus_seconds(3600).unwrap();
        p.token = Some(token(&letters, created, (rng.next() % 10_000_000) as i64));
    }
    p
}

fn token(value: &str, created: Timestamp, validity: i64) -> Token {
    Token {
        id: uuid::Uuid::new_v4(),
        value: Sensitive::new(value),
        created,
        expires: created.plus_seconds(validity).unwrap(),
        qr_content: Sensitive::new(format!("{{\"TOKEN\":\"{value}\",\"Wifi\":\"Caf\\u00e9\"}}")),
        qr_png: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
    }
}

/// The id of hand-made profile `n` (1..=10).
pub fn hand_id(n: u128) -> String {
    Uuid::from_u128(0x00000000_0000_4000_8000_000000000000 | n).to_string()
}

/// (name, description, mode, tags, Wi-Fi SSID) of the hand-made profiles, in id order.
type Hand = (
    &'static str,
    Option<&'static str>,
    i64,
    &'static [&'static str],
    Option<&'static str>,
);

const HAND: [Hand; 10] = [
    (
        "Hand Émile",
        Some("Café au lait"),
        1,
        &["Alpha"],
        Some("Lobby"),
    ),
    ("HAND ÉMILE", None, 3, &[], None),
    (
        "hand émile",
        Some("50% off_sale"),
        4,
        &["alpha", "Beta"],
        Some("LOBBY"),
    ),
    (
        "Hand straße",
        Some("back\\slash"),
        0,
        &["ß"],
        Some("Straße-Net"),
    ),
    ("Hand STRASSE", None, 0, &["SS"], None),
    ("Hand École", Some("ÉCOLE primaire"), 2, &["0"], None),
    ("Hand ecole", Some("école"), 2, &["0", "1"], None),
    ("Hand O'Brien", Some("it's"), 1, &["1"], None),
    ("Hand 100%", Some("100% sure"), 1, &["0"], Some("guest_net")),
    ("Hand under_score", Some("a_b"), 1, &["0"], None),
];

fn hand(t: TenantId, n: usize) -> Profile {
    let (name, description, mode, tags, ssid) = HAND[n - 1];
    let created = ts(&format!("2001-01-{n:02}T00:00:00Z"));
    let mut p = Profile::new(
        t,
        ProfileId::parse(&hand_id(n as u128)).unwrap(),
        name.into(),
        created,
    );
    p.description = description.map(str::to_owned);
    p.enrollment_mode = EnrollmentMode::from_value(mode).unwrap();
    p.role_scope_tag_ids = tags.iter().map(|s| (*s).to_owned()).collect();
    p.wifi.ssid = ssid.map(str::to_owned);
    p.enrolled_device_count = n as i32;
    if n == 1 {
        p.token = Some(token("ABCDEFGHIJABCDEFGHIJ", created, 86_400));
    }
    p
}

/// Every profile of the caller's tenant: the hand-made ones, then the generated ones.
pub fn dataset() -> Vec<Profile> {
    let t = tenant();
    let mut rng = Lcg(42);
    let mut out: Vec<Profile> = (1..=HAND.len()).map(|n| hand(t, n)).collect();
    out.extend((0..GENERATED).map(|i| generated(t, i, &mut rng)));
    out
}

/// A server over a data directory holding [`dataset`] and rows of another tenant with the
/// same names; returns the caller's profiles for the oracle.
pub async fn start() -> (TestServer, tempfile::TempDir, Vec<Profile>) {
    let dir = tempfile::tempdir().unwrap();
    let profiles = dataset();
    let url = crate::common::fresh_database_url();
    let store = crate::common::open_store(dir.path(), &url).await;
    insert_all(&*store, tenant(), &profiles).await;
    let other = TenantId(Uuid::from_u128(0xdead));
    let mut rng = Lcg(7);
    let foreign: Vec<Profile> = (0..40)
        .map(|i| {
            let mut p = generated(other, i, &mut rng);
            p.display_name = format!("Hand {}", p.display_name);
            p
        })
        .collect();
    insert_all(&*store, other, &foreign).await;
    store.close().await;
    let server = TestServer::start_in(dir.path().to_owned(), |s| s.database.url = url).await;
    (server, dir, profiles)
}

async fn insert_all(store: &dyn Store, tenant: TenantId, profiles: &[Profile]) {
    for p in profiles {
        store.insert(tenant, p).await.expect("insert");
    }
}
