//! What `/proc` says about a process: resident memory (`VmRSS`, and its peak `VmHWM`) from
//! `/proc/PID/status`, and CPU time from `/proc/PID/stat`.

use std::time::Duration;

/// Resident memory of a process, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the peak resident size since the process started.
    pub hwm_kib: u64,
    /// `RssAnon`: the part of `VmRSS` that is the process's own memory, not pages of mapped files
    /// (such as a memory-mapped database) that the kernel can drop and read again.
    #[serde(default)]
    pub anon_kib: u64,
}

/// Parses the `VmRSS` and `VmHWM` lines of a `/proc/PID/status` text.
pub fn parse_status(text: &str) -> Option<Memory> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
        anon_kib: field("RssAnon:")?,
    })
}

/// The memory of process `pid`, or `None` when it is gone.
pub fn memory(pid: u32) -> Option<Memory> {
    parse_status(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// Clock ticks per second of `/proc/PID/stat` times (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// Parses user + system CPU time out of a `/proc/PID/stat` line.
pub fn parse_stat(text: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

/// CPU time (user + system) process `pid` has used, or `None` when it is gone.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU time this process (the load generator) has used.
pub fn own_cpu_time() -> Option<Duration> {
    parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// The 1-minute load average of the machine (other work on it shows here).
pub fn load_average() -> Option<f64> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// Parses the first field of `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Option<f64> {
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_its_peak() {
        let status =
            "Name:\tprovisio\nVmPeak:\t  900000 kB\nVmHWM:\t   52340 kB\nVmRSS:\t   48000 kB\nRssAnon:\t   30000 kB\nRssFile:\t   18000 kB\n";
        assert_eq!(
            parse_status(status),
            Some(Memory {
                rss_kib: 48_000,
                hwm_kib: 52_340,
                anon_kib: 30_000,
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[test]
    fn reads_cpu_time_even_with_spaces_in_the_name() {
        let stat =
            "4242 (tokio runtime) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_stat(stat), Some(Duration::from_millis(3250)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn reads_the_load_average() {
        assert_eq!(parse_loadavg("5.16 5.54 4.92 3/612 22230\n"), Some(5.16));
        assert_eq!(parse_loadavg(""), None);
        assert!(load_average().is_some());
    }

    #[test]
    fn this_process_is_visible() {
        let me = memory(std::process::id()).unwrap();
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib);
        assert!(own_cpu_time().is_some());
    }
}
