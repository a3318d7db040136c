//! Running the service: open the store, build the app, serve until a shutdown signal, let
//! in-flight requests finish, close the database.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rand::RngCore as _;
use tokio::net::TcpListener;

use crate::api::{self, paging, AppState, HttpSettings};
use crate::auth::dev::DevKey;
use crate::auth::{AuthMode, Verifier};
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::provisioning::QrCodes;
use crate::service::Profiles;
use crate::store::Store;
use crate::throttle::Throttle;

/// Binds the configured address and serves until SIGINT or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let listener = crate::net::listen(settings.listen)
        .with_context(|| format!("listening on {}", settings.listen))?;
    run(settings, listener, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` completes, then gives in-flight requests the configured
/// grace period and closes the store.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener
        .local_addr()
        .context("reading the listening address")?;
    settings.auth.check_listen(addr)?;
    let connections = settings.http.connection_limit(settings.reserved_fds())?;
    // The data directory holds the SQLite database, the sealing key file and, in development
    // mode, the signing key (also when the profiles live in PostgreSQL): private (0700/0600).
    crate::private::secure_data_dir(settings.data_dir())?;
    // A first start generates the sealing key (and, in development mode, the signing key);
    // that is said after the listening line, which comes first.
    let new_sealing_key = settings
        .sealing
        .path(settings.data_dir())
        .filter(|path| !path.exists());
    let keys = Arc::new(settings.sealing.load(settings.data_dir())?);
    let store: Arc<dyn Store> = crate::store::open(
        &settings.database,
        settings.data_dir(),
        settings.sqlite_tuning(),
        settings.queries.limits(),
        keys,
    )
    .await?;
    let state = build_state(&settings, store.clone()).await?;
    state
        .profiles
        .redraw_for_settings()
        .await
        .context("bringing stored QR codes in line with the DPC settings")?;
    let pruning = settings
        .audit
        .retention()
        .map(|keep| crate::service::audit::prune::spawn(store.clone(), keep));
    announce(addr, &settings, &state.auth)?;
    let database = match &settings.database.url {
        Some(url) => crate::store::settings::redact(url),
        None => "SQLite".to_owned(),
    };
    tracing::info!(%addr, data_dir = %settings.data_dir().display(), %database, mode = ?state.auth.mode(), connections, "provisio is serving");
    if let Some(path) = new_sealing_key {
        tracing::info!(path = %path.display(), "generated the sealing key; back it up with the database (docs/DEPLOYMENT.md, \"Secrets at rest\")");
    }
    if settings
        .aosp_dpc
        .build(settings.public_base_url.as_deref())?
        .is_none()
    {
        tracing::info!(
            "no AOSP DPC configured: AOSP profiles get tokens once aosp_dpc is set (docs/QR.md)"
        );
    }
    let grace = Duration::from_secs(settings.shutdown_grace_seconds);
    crate::net::serve(
        listener,
        api::app(state),
        &settings.http,
        connections,
        shutdown,
        grace,
    )
    .await;
    if let Some(task) = pruning {
        task.abort();
    }
    store.close().await;
    tracing::info!("database closed; bye");
    Ok(())
}

/// The handler state for a store and settings.
pub async fn build_state(settings: &Settings, store: Arc<dyn Store>) -> anyhow::Result<AppState> {
    let generate = || {
        let mut key = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        key
    };
    let key = store
        .service_key(paging::KEY_NAME, &generate)
        .await
        .context("loading the paging key")?;
    let aosp_dpc = settings
        .aosp_dpc
        .build(settings.public_base_url.as_deref())?;
    let auth = match settings.auth.mode() {
        AuthMode::Development => {
            Verifier::development(DevKey::load_or_create(settings.data_dir())?, &settings.auth)
        }
        AuthMode::Production => Verifier::production(&settings.auth)?,
    };
    let profiles = Profiles::new(
        store.clone(),
        QrCodes::new(aosp_dpc, settings.aosp_dpc.all_modes)?,
    );
    let devices = crate::service::devices::Devices::new(
        store,
        profiles.writes().clone(),
        settings.devices.clone(),
    );
    Ok(AppState {
        profiles,
        devices,
        skip_tokens: paging::SkipTokens::new(key),
        auth,
        throttle: Throttle::new(&settings.throttle),
        device_throttle: crate::throttle::DeviceThrottle::new(&settings.device_throttle),
        metrics: Metrics::new(),
        metrics_access: Arc::new(settings.metrics.access()?),
        settings: Arc::new(HttpSettings {
            public_base_url: settings.public_base_url.clone(),
            trust_forwarded_headers: settings.trust_forwarded_headers,
            cors: settings.cors.clone(),
            dev_tenant: settings.dev_tenant,
            sign_in: settings.auth.client_sign_in()?,
        }),
    })
}

/// Prints `provisio listening on http://ADDR` (scripts parse this first line, and it is the first
/// line a person sees: start-up logs nothing before it unless something is wrong) and, in
/// development mode, a ready-to-use token and curl command.
fn announce(addr: SocketAddr, settings: &Settings, auth: &Verifier) -> anyhow::Result<()> {
    let mut out = format!("provisio listening on http://{addr}\n");
    if let Some(key) = auth.dev_key() {
        out.push_str(&key.banner(addr, settings.dev_tenant)?);
        out.push('\n');
    }
    // One print, so that a reader that stops after the first line has everything in the pipe
    // already and no later write can fail.
    print!("{out}");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
