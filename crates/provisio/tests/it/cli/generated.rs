//! `provisio completions` and `provisio man`: generated from the command definitions, so every
//! client command appears in them.

use std::process::Command;

use super::{Cli, Ran, BIN};

async fn run(args: &[&str]) -> Ran {
    let mut command = Command::new(BIN);
    command.args(args);
    Cli::run_command(command).await
}

#[tokio::test]
async fn completion_scripts_name_the_client_commands_and_parse() {
    for shell in ["bash", "zsh", "fish"] {
        let ran = run(&["completions", shell]).await;
        assert_eq!(ran.code, 0, "{ran:#?}");
        for word in ["profiles", "export-zero-touch", "expiring", "retire"] {
            assert!(ran.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
    // bash reads the script without a syntax error (bash is part of every supported system).
    let script = run(&["completions", "bash"]).await.stdout;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provisio.bash");
    std::fs::write(&path, script).unwrap();
    let checked = Command::new("bash")
        .args(["-n", path.to_str().unwrap()])
        .output()
        .expect("bash is installed");
    assert!(checked.status.success(), "{checked:?}");
    assert_eq!(
        run(&["completions", "tcsh"]).await.code,
        2,
        "an unknown shell is a usage error"
    );
}

#[tokio::test]
async fn man_pages_are_roff_for_every_command() {
    let ran = run(&["man"]).await;
    assert_eq!(ran.code, 0, "{ran:#?}");
    assert!(
        ran.stdout.contains("\n.TH provisio 1 "),
        "roff: {}",
        ran.stdout
    );
    assert!(ran.stdout.contains("profiles"));
    let dir = tempfile::tempdir().unwrap();
    let ran = run(&["man", "--dir", dir.path().to_str().unwrap()]).await;
    assert_eq!(ran.code, 0, "{ran:#?}");
    for page in [
        "provisio.1",
        "provisio-profiles.1",
        "provisio-profiles-token-create.1",
        "provisio-devices-retire.1",
        "provisio-audit-list.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is roff");
    }
    let list = std::fs::read_to_string(dir.path().join("provisio-profiles-list.1")).unwrap();
    assert!(list.contains("expiring"), "{list}");
}
