//! The real editor window, opened and closed 30 times in a row (`NWT_EDITOR_OPENS`
//! sets another count; 50 for the long run) through a CLAP
//! host (`clack-host` with the `clap.gui` extension), embedded in an X11
//! window, while the plugin plays: no crash, no thread left behind, no
//! steady memory growth. Needs an X display: it uses `DISPLAY` when set and
//! otherwise starts `Xvfb` if installed (Debian package `xvfb`); with
//! neither it says so and checks nothing. (Its own test binary, so no other
//! test's threads are counted.)

mod common;

use clack_extensions::gui::{GuiApiType, GuiConfiguration, PluginGui, Window};
use clack_host::prelude::*;
use common::{note_on, Synth};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};

/// Rounds of opening and closing: 30 by default, any count from
/// `NWT_EDITOR_OPENS` (`NWT_EDITOR_OPENS=50` for a longer run).
fn rounds() -> usize {
    std::env::var("NWT_EDITOR_OPENS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n >= WARM_ROUNDS + 4)
        .unwrap_or(30)
}
/// Rounds after which the memory baseline is taken: the first windows fill
/// process-wide caches (GL driver, fonts, allocator arenas).
const WARM_ROUNDS: usize = 8;

/// An X server for the test: the session's, or a private Xvfb (with its
/// display number) stopped on drop.
struct Display {
    server: Option<(Child, u32)>,
}

/// The files an X server on display `number` keeps while it runs.
fn x_files(number: u32) -> [String; 2] {
    [
        format!("/tmp/.X{number}-lock"),
        format!("/tmp/.X11-unix/X{number}"),
    ]
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some((mut child, number)) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
            // A killed server leaves its lock and socket; a later run that
            // picked this number would find the display taken.
            for file in x_files(number) {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

fn display() -> Option<Display> {
    if std::env::var_os("DISPLAY").is_some() {
        return Some(Display { server: None });
    }
    // A number no other server holds (its lock or socket left behind).
    let start = 300 + std::process::id() % 500;
    let number = (start..start + 500)
        .find(|&n| x_files(n).iter().all(|f| !std::path::Path::new(f).exists()))?;
    let server = Command::new("Xvfb")
        .arg(format!(":{number}"))
        .args(["-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let [_, socket] = x_files(number);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::path::Path::new(&socket).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::env::set_var("DISPLAY", format!(":{number}"));
    Some(Display {
        server: Some((server, number)),
    })
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// Resident memory in MiB.
fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// Runs the plugin's main-thread callbacks for `time` (the host's event loop).
fn pump(synth: &mut Synth, time: Duration) {
    let end = Instant::now() + time;
    while Instant::now() < end {
        synth.run_main_thread_callbacks();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Opens the editor in `parent`, lets it draw for a while, closes it.
fn open_and_close(synth: &mut Synth, parent: u32, round: usize) {
    let handle = synth.plugin_handle();
    let gui = handle
        .get_extension::<PluginGui>()
        .expect("the plugin offers clap.gui");
    let config = GuiConfiguration {
        api_type: GuiApiType::X11,
        is_floating: false,
    };
    assert!(
        gui.is_api_supported(&handle, config),
        "X11 embedding is supported"
    );
    gui.create(&handle, config)
        .unwrap_or_else(|e| panic!("round {round}: create failed: {e:?}"));
    let size = gui.get_size(&handle).expect("the editor has a size");
    assert!(
        size.width >= 900 && size.height >= 640,
        "round {round}: size {size:?}"
    );
    // SAFETY: `parent` is a live X11 window of this process's display.
    unsafe { gui.set_parent(&handle, Window::from_x11_handle(parent.into())) }
        .unwrap_or_else(|e| panic!("round {round}: set_parent failed: {e:?}"));
    gui.show(&handle)
        .unwrap_or_else(|e| panic!("round {round}: show failed: {e:?}"));
    pump(synth, Duration::from_millis(60));
    let handle = synth.plugin_handle();
    gui.hide(&handle).ok();
    gui.destroy(&handle);
    pump(synth, Duration::from_millis(10));
}

#[test]
fn the_editor_window_opens_and_closes_many_times_while_playing() {
    let Some(_display) = display() else {
        eprintln!("SKIPPED: no DISPLAY and no Xvfb (apt-get install xvfb) to open the editor in");
        return;
    };
    let (conn, screen) = x11rb::connect(None).expect("the X server answers");
    let root = conn.setup().roots[screen].root;
    let parent = conn.generate_id().unwrap();
    conn.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        parent,
        root,
        0,
        0,
        1400,
        900,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new(),
    )
    .unwrap();
    conn.map_window(parent).unwrap();
    conn.flush().unwrap();

    let mut synth = Synth::new();
    let mut audio = synth.start(512);
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 0, 57, 1, 0.8));
    events.push(&note_on(0, 0, 64, 2, 0.8));
    audio.render(512, 512, &events).assert_finite("chord start");

    // Warm-up: the first window loads GL and fonts once for the process.
    open_and_close(&mut synth, parent, 0);
    std::thread::sleep(Duration::from_millis(200));
    let threads_before = threads();
    let memory_before = resident_mib();

    let started = Instant::now();
    let rounds = rounds();
    let middle = WARM_ROUNDS + (rounds - WARM_ROUNDS) / 2;
    let (mut memory_warm, mut memory_middle) = (memory_before, memory_before);
    for round in 1..=rounds {
        // Audio keeps running between and during the opens.
        audio
            .render(512, 512, &EventBuffer::new())
            .assert_finite("playing");
        open_and_close(&mut synth, parent, round);
        if round == WARM_ROUNDS {
            memory_warm = resident_mib();
        }
        if round == middle {
            memory_middle = resident_mib();
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let (threads_after, memory_after) = (threads(), resident_mib());
    eprintln!(
        "{rounds} opens in {:.1} s; threads {threads_before} -> {threads_after}; resident {memory_before:.1} -> {memory_warm:.1} (after {WARM_ROUNDS}) -> {memory_middle:.1} (after {middle}) -> {memory_after:.1} MiB",
        started.elapsed().as_secs_f64()
    );
    assert!(
        threads_after <= threads_before,
        "threads left behind: {threads_before} -> {threads_after}"
    );
    // Measured: about 0.09 MiB per open after the warm-up, the same with an
    // editor that draws a single label, so it is the window stack's (baseview,
    // GL), not the editor's. A leak of the editor's own (a texture, a table
    // copy per open) would be a megabyte or more per open. The GL stack
    // sometimes takes 10-30 MiB once, at a round that varies: a steady leak
    // grows both halves after the warm-up, a one-time step only one, so the
    // smaller half's growth is the measure.
    let first = (memory_middle - memory_warm) / (middle - WARM_ROUNDS) as f64;
    let second = (memory_after - memory_middle) / (rounds - middle) as f64;
    let per_open = first.min(second);
    assert!(
        per_open < 0.4,
        "resident memory grew {per_open:.2} MiB per open after the warm-up"
    );
    synth.stop(audio);
    conn.destroy_window(parent).ok();
    conn.flush().ok();
}
