//! The Neural Wavetable standalone app.
//!
//! Runs the plugin with nice-plug's standalone wrapper (JACK or ALSA, MIDI in,
//! the editor in a window). It says what it does, and still starts where
//! there is no audio device or display:
//! - no display: the editor is left out and the app runs until Ctrl-C;
//! - no audio device and no `--backend`: it renders a demo WAV with the
//!   default sound, says where, and then runs with the dummy backend if a
//!   display is there to show the editor.
//!
//! Extra options (the rest go to nice-plug's wrapper; see `--help`):
//! `--run-for SECONDS` quits after that long; `--demo-wav PATH` sets where
//! the demo is written; `--preset NAME|FILE` starts with that preset;
//! `--scale FACTOR` opens the editor at that scale (1.5 = 150 %).

use neural_wavetable::{NeuralWavetable, HEADLESS, SAMPLES_PROCESSED, SAMPLE_RATE};
use nice_plug::prelude::nice_export_standalone_with_args;
use nwt_engine::offline::{self, OfflineNote, RenderOptions};
use nwt_engine::{Synth, SynthParams};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options this app handles itself before the wrapper sees the command line.
struct AppOptions {
    run_for: Option<f64>,
    demo_wav: PathBuf,
    wrapper_args: Vec<String>,
}

fn parse_app_options() -> Result<AppOptions, String> {
    let mut args = std::env::args();
    let mut wrapper_args = vec![args.next().unwrap_or_else(|| "neural-wavetable".into())];
    let mut run_for = None;
    let mut demo_wav = PathBuf::from("neural-wavetable-demo.wav");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--run-for" => {
                let v = args.next().ok_or("--run-for needs a number of seconds")?;
                let secs: f64 = v
                    .parse()
                    .map_err(|_| format!("--run-for: `{v}` is not a number"))?;
                if !(secs.is_finite() && secs >= 0.0) {
                    return Err("--run-for needs a non-negative number of seconds".into());
                }
                run_for = Some(secs);
            }
            "--demo-wav" => demo_wav = args.next().ok_or("--demo-wav needs a path")?.into(),
            "--preset" => {
                let name = args.next().ok_or("--preset needs a preset name or file")?;
                let preset = neural_wavetable::preset::resolve(&name)
                    .map_err(|e| format!("--preset {name}: {e}"))?;
                eprintln!("Neural Wavetable: starting with the preset {}", preset.name);
                neural_wavetable::set_startup_preset(preset);
            }
            "--scale" => {
                let v = args.next().ok_or("--scale needs a factor, e.g. 1.5")?;
                let scale: f32 = v
                    .parse()
                    .map_err(|_| format!("--scale: `{v}` is not a number"))?;
                if !(0.5..=3.0).contains(&scale) {
                    return Err("--scale must be between 0.5 and 3".into());
                }
                neural_wavetable::set_startup_scale(scale);
            }
            _ => wrapper_args.push(arg),
        }
    }
    Ok(AppOptions {
        run_for,
        demo_wav,
        wrapper_args,
    })
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
        || cfg!(any(target_os = "macos", target_os = "windows"))
}

/// Whether a sound card (or a JACK server) looks available.
fn has_audio_device() -> bool {
    if cfg!(target_os = "linux") {
        let cards = std::fs::read_to_string("/proc/asound/cards").unwrap_or_default();
        let alsa = !cards.trim().is_empty() && !cards.contains("no soundcards");
        let jack = std::fs::read_dir("/dev/shm")
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("jack"))
            })
            .unwrap_or(false);
        alsa || jack
    } else {
        true
    }
}

/// Renders a short phrase with the default sound.
fn render_demo(path: &Path) -> Result<f64, String> {
    let sr = 48_000.0;
    let params = Arc::new(SynthParams::default());
    let mut synth = Synth::new(params, sr);
    let chord = [
        (57, 0.0, 1.6),
        (60, 0.4, 1.2),
        (64, 0.8, 0.8),
        (69, 1.2, 0.8),
        (45, 0.0, 2.0),
    ];
    let notes: Vec<OfflineNote> = chord
        .iter()
        .map(|&(key, start, dur)| OfflineNote {
            key,
            start: (start * sr) as u64,
            end: ((start + dur) * sr) as u64,
            velocity: 0.45,
            channel: 0,
        })
        .collect();
    let out = offline::render(&mut synth, &notes, RenderOptions::new(sr), |_, _| {});
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    neural_wavetable::wav::write_stereo_f32(path, sr as u32, &out.left, &out.right)
        .map_err(|e| e.to_string())?;
    Ok(out.left.len() as f64 / f64::from(sr))
}

/// Seconds of audio the plugin has processed so far.
fn audio_seconds() -> f64 {
    SAMPLES_PROCESSED.load(Ordering::Relaxed) as f64
        / f64::from(SAMPLE_RATE.load(Ordering::Relaxed).max(1))
}

fn main() {
    neural_wavetable::limit_inference_threads_on_small_machines();
    let mut options = match parse_app_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("neural-wavetable: {e}");
            std::process::exit(2);
        }
    };
    let backend_given = options
        .wrapper_args
        .iter()
        .any(|a| a == "--backend" || a == "-b" || a.starts_with("--backend="));
    let wants_help = options
        .wrapper_args
        .iter()
        .any(|a| a == "--help" || a == "-h" || a == "--version" || a == "-V");
    let display = has_display();

    if !wants_help && !backend_given && !has_audio_device() {
        match render_demo(&options.demo_wav) {
            Ok(secs) => println!(
                "Neural Wavetable: no audio device found; rendered a {secs:.1} s demo of the default sound to {}",
                options.demo_wav.display()
            ),
            Err(e) => {
                eprintln!("Neural Wavetable: no audio device, and the demo render failed: {e}");
                std::process::exit(1);
            }
        }
        if !display {
            println!("Neural Wavetable: no display either; run `neural-wavetable --backend dummy` to start the app anyway.");
            return;
        }
        println!(
            "Neural Wavetable: starting with the dummy audio backend so the editor can be used."
        );
        options
            .wrapper_args
            .extend(["--backend".to_string(), "dummy".to_string()]);
    }
    if !display && !wants_help {
        HEADLESS.store(true, Ordering::Relaxed);
        println!("Neural Wavetable: no display; running without the editor (Ctrl-C quits).");
    }
    if let Some(secs) = options.run_for {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(secs));
            // The wrapper closes cleanly on SIGINT, as on Ctrl-C.
            // SAFETY: raising a signal in our own process.
            unsafe { libc::raise(libc::SIGINT) };
            // An open editor window does not watch for SIGINT: give it a moment, then leave.
            std::thread::sleep(Duration::from_secs(2));
            println!(
                "Neural Wavetable: --run-for elapsed; quitting; processed {:.1} s of audio.",
                audio_seconds()
            );
            std::process::exit(0);
        });
    }
    if !wants_help {
        println!(
            "Neural Wavetable: starting ({}).",
            options.wrapper_args[1..].join(" ")
        );
    }
    let started = Instant::now();
    let ok = nice_export_standalone_with_args::<NeuralWavetable, _>(options.wrapper_args);
    if !wants_help {
        println!(
            "Neural Wavetable: stopped after {:.1} s; processed {:.1} s of audio.",
            started.elapsed().as_secs_f64(),
            audio_seconds()
        );
    }
    std::process::exit(if ok { 0 } else { 1 });
}
