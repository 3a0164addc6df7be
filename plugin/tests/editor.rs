//! Headless tests of the editor (egui_kittest): the page is driven with
//! pointer and keyboard events as a user would, and the tests check what the
//! synth's parameters, anchors and preset files became.

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use neural_wavetable::library::PluginLibrary;
use nice_plug::prelude::{Param, Params};
use nwt_engine::analysis::largest_difference;
use nwt_engine::neural::{Anchor, DecoderWorker, NeuralInfo, TableLink, WorkerOptions};
use nwt_engine::params::EditorMemory;
use nwt_engine::SynthParams;
use nwt_gui::access::{DirectAccess, SoundLibrary};
use nwt_gui::editor::{anchor_label, Editor};
use nwt_gui::knob::value_label;
use nwt_model::{Harmonics, Model};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A private user folder for every test in this file (presets saved here).
fn user_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nwt-editor-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::env::set_var(neural_wavetable::folders::USER_DIR_ENV, &dir);
        dir
    })
}

fn editor(params: &Arc<SynthParams>, info: &Arc<NeuralInfo>) -> Editor {
    user_dir();
    Editor::new(
        params.clone(),
        info.clone(),
        Arc::new(PluginLibrary),
        Arc::new(DirectAccess),
        None,
    )
}

/// An editor that reads the audio thread's reports, and the writer to send them.
fn editor_with_reports(
    params: &Arc<SynthParams>,
    info: &Arc<NeuralInfo>,
) -> (
    nwt_engine::telemetry::ReportWriter,
    Harness<'static, Editor>,
) {
    let (writer, reader) = nwt_engine::telemetry::report_channel();
    user_dir();
    let editor = Editor::new(
        params.clone(),
        info.clone(),
        Arc::new(PluginLibrary),
        Arc::new(DirectAccess),
        Some(Arc::new(std::sync::Mutex::new(reader))),
    );
    (writer, harness(editor))
}

fn harness(editor: Editor) -> Harness<'static, Editor> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(
            EditorMemory::DEFAULT_SIZE.0,
            EditorMemory::DEFAULT_SIZE.1,
        ))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, editor: &mut Editor| editor.show(ui), editor);
    h.run_steps(2);
    h
}

fn centre(h: &Harness<'_, Editor>, label: &str) -> egui::Pos2 {
    h.get_by_label(label).rect().center()
}

fn slider_value(h: &Harness<'_, Editor>, label: &str) -> f64 {
    h.get_by_label(label)
        .accesskit_node()
        .numeric_value()
        .expect("a knob reports its value")
}

/// Presses at `from`, moves by `by` in small steps, releases; `modifiers`
/// (Shift for a fine drag) are held throughout.
fn drag(h: &mut Harness<'_, Editor>, from: egui::Pos2, by: egui::Vec2, modifiers: egui::Modifiers) {
    h.event(egui::Event::ModifiersChanged(modifiers));
    h.event(egui::Event::PointerMoved(from));
    h.step();
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers,
    };
    h.event(button(from, true));
    h.step();
    let steps = 8;
    for i in 1..=steps {
        h.event(egui::Event::PointerMoved(
            from + by * (i as f32 / steps as f32),
        ));
        h.step();
    }
    h.event(button(from + by, false));
    h.step();
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    h.remove_cursor();
    h.run_steps(2);
}

#[test]
fn turning_a_knob_sets_its_parameter() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    assert_eq!(params.resonance.value(), 0.0);

    // Dragging up 40 points raises the normalised value by 40 × 0.005.
    let knob = centre(&h, "Resonance");
    drag(&mut h, knob, egui::vec2(0.0, -40.0), egui::Modifiers::NONE);
    let coarse = params.resonance.value();
    assert!(
        (coarse - 0.2).abs() < 0.011,
        "resonance after a 40-point drag: {coarse}"
    );
    assert!(
        (slider_value(&h, "Resonance") - f64::from(coarse)).abs() < 1e-3,
        "the knob shows the new value"
    );

    // With Shift held the same drag moves ten times less.
    drag(&mut h, knob, egui::vec2(0.0, -40.0), egui::Modifiers::SHIFT);
    let fine = params.resonance.value() - coarse;
    assert!((fine - 0.02).abs() < 0.004, "fine drag moved {fine}");

    // A double-click restores the default.
    h.hover_at(knob);
    h.step();
    for pressed in [true, false, true, false] {
        h.event(egui::Event::PointerButton {
            pos: knob,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    h.run_steps(2);
    assert_eq!(params.resonance.value(), 0.0, "double-click resets");

    // Typing a value: click the value, type, Enter.
    h.get_by_label(&value_label("Cutoff")).click();
    h.run_steps(2);
    let label = value_label("Cutoff");
    h.get_by_label(&label).type_text("1000");
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    let cutoff = params.cutoff.value();
    assert!((cutoff - 1000.0).abs() < 0.5, "typed cutoff: {cutoff}");

    // A stepped parameter through its drop-down: the LFO shape.
    assert_eq!(params.lfo_shape.value() as usize, 0);
}

#[test]
fn the_pad_can_show_and_drag_brightness_and_warmth() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    h.get_by_label(nwt_gui::pad::PadPair::BrightnessWarmth.name())
        .click();
    h.run_steps(2);
    let pad = h.get_by_label(nwt_gui::pad::LABEL).rect();
    // The pair spans -1..1 edge to edge.
    let units_per_point = 2.0 / pad.width();
    drag(
        &mut h,
        pad.center(),
        egui::vec2(40.0, 20.0),
        egui::Modifiers::NONE,
    );
    let (bright, warm) = (params.brightness.value(), params.warmth.value());
    assert!(
        (bright - 40.0 * units_per_point).abs() < 0.01,
        "brightness: {bright}"
    );
    assert!(
        (warm + 20.0 * units_per_point).abs() < 0.01,
        "warmth: {warm}"
    );
    assert_eq!(params.macro_1.value(), 0.0, "the macros stay");
    assert_eq!(params.macro_2.value(), 0.0);
    // And back to the macros.
    h.get_by_label(nwt_gui::pad::PadPair::Macros.name()).click();
    h.run_steps(2);
    drag(
        &mut h,
        pad.center(),
        egui::vec2(30.0, 0.0),
        egui::Modifiers::NONE,
    );
    assert!(params.macro_1.value() > 0.0);
    assert_eq!(params.brightness.value(), bright, "brightness stays");
}

#[test]
fn dragging_on_the_pad_moves_macros_1_and_2() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let pad = h.get_by_label(nwt_gui::pad::LABEL).rect();
    let units_per_point = 2.0 * nwt_gui::pad::RANGE / pad.width();
    drag(
        &mut h,
        pad.center(),
        egui::vec2(40.0, 20.0),
        egui::Modifiers::NONE,
    );
    let (m1, m2) = (params.macro_1.value(), params.macro_2.value());
    assert!((m1 - 40.0 * units_per_point).abs() < 0.01, "macro 1: {m1}");
    assert!(
        (m2 + 20.0 * units_per_point).abs() < 0.01,
        "macro 2 (screen y is down): {m2}"
    );
    assert_eq!(params.macro_3.value(), 0.0);
    // The macros stop at their range however far the drag goes.
    drag(
        &mut h,
        pad.center(),
        egui::vec2(400.0, 0.0),
        egui::Modifiers::NONE,
    );
    assert_eq!(params.macro_1.value(), 1.0);

    // "Along Path" weights the offset by the position: at position 0.5 the
    // knobs move twice as far for the same drag.
    params.set_by_id("macro_1", "0", 48_000.0).unwrap();
    params
        .set_by_id("macro_mode", "Along Path", 48_000.0)
        .unwrap();
    params.set_by_id("position", "0.5", 48_000.0).unwrap();
    h.run_steps(1);
    drag(
        &mut h,
        pad.center(),
        egui::vec2(20.0, 0.0),
        egui::Modifiers::NONE,
    );
    let m1 = params.macro_1.value();
    assert!(
        (m1 - 2.0 * 20.0 * units_per_point).abs() < 0.01,
        "macro 1 along the path: {m1}"
    );
}

#[test]
fn loading_a_preset_updates_the_widgets() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let library = PluginLibrary;
    // A factory preset whose cutoff and unison differ from the defaults.
    let defaults = SynthParams::default();
    let (entry, sound) = library
        .presets()
        .into_iter()
        .filter(|e| !e.user)
        .filter_map(|e| library.load(&e).ok().map(|s| (e, s)))
        .find(|(_, s)| {
            s.values
                .get("cutoff")
                .is_some_and(|&c| (c - defaults.cutoff.value()).abs() > 100.0)
                && s.values.get("unison").is_some_and(|&u| u >= 2.0)
        })
        .expect("the factory bank has a filtered unison sound");
    let mut h = harness(editor(&params, &info));

    h.state_mut().load_preset(&entry);
    h.run_steps(2);
    let want_cutoff = f64::from(params.cutoff.preview_normalized(sound.values["cutoff"]));
    let want_unison = f64::from(
        params
            .unison
            .preview_normalized(sound.values["unison"] as i32),
    );
    assert!(
        (slider_value(&h, "Cutoff") - want_cutoff).abs() < 1e-4,
        "the cutoff knob follows the preset"
    );
    assert!(
        (slider_value(&h, "Unison") - want_unison).abs() < 1e-4,
        "the unison knob follows the preset"
    );
    assert!(
        h.query_by_label(&entry.name).is_some(),
        "the preset bar names {}",
        entry.name
    );
    let (current, dirty) = h.state().current_preset().unwrap();
    assert_eq!(current.key, entry.key);
    assert!(!dirty, "a freshly loaded preset is unchanged");

    // Turning a knob marks the sound as changed.
    let at = centre(&h, "Resonance");
    drag(&mut h, at, egui::vec2(0.0, -30.0), egui::Modifiers::NONE);
    assert!(
        h.state().current_preset().unwrap().1,
        "changed after a knob turn"
    );
    assert!(
        h.query_by_label(&format!("{} *", entry.name)).is_some(),
        "the preset bar shows the marker"
    );

    // The next-preset button asks first (the edit would be lost); after
    // "Discard" it loads the neighbour in the list and the widgets follow.
    h.get_by_label(">").click();
    h.run_steps(2);
    h.get_by_label("Discard").click();
    h.run_steps(2);
    let list = h.state().presets().to_vec();
    let at = list.iter().position(|e| e.key == entry.key).unwrap();
    let next = &list[(at + 1) % list.len()];
    assert_eq!(h.state().current_preset().unwrap().0.key, next.key);
    let next_sound = library.load(next).unwrap();
    let cutoff = next_sound
        .values
        .get("cutoff")
        .copied()
        .unwrap_or(defaults.cutoff.value());
    let want = f64::from(params.cutoff.preview_normalized(cutoff));
    assert!(
        (slider_value(&h, "Cutoff") - want).abs() < 1e-4,
        "the cutoff knob follows {}",
        next.name
    );
}

#[test]
fn a_broken_preset_file_changes_nothing_and_says_why() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let before = nwt_gui::access::Sound::capture(&params);
    let file = user_dir().join("broken-on-disk.nwtpreset");
    std::fs::write(&file, r#"{"format": "neural-wavetable-preset", "version": 2, "name": "x", "params": {"cutoff": "loud"}}"#).unwrap();
    let entry = nwt_gui::access::PresetEntry {
        name: "Broken".into(),
        category: "Pad".into(),
        author: "test".into(),
        user: true,
        key: file.display().to_string(),
    };
    h.state_mut().load_preset(&entry);
    h.run_steps(2);
    let (message, error) = h.state().message().unwrap();
    assert!(
        error && message.starts_with("Broken was not loaded"),
        "{message}"
    );
    assert!(!before.differs_from(&params), "the sound is untouched");
    assert!(h.state().current_preset().is_none());
}

#[test]
fn save_as_writes_a_user_preset_that_loads_back() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let at = centre(&h, "Detune");
    drag(&mut h, at, egui::vec2(0.0, -30.0), egui::Modifiers::NONE);
    let detune = params.detune.value();

    h.get_by_label("Save As…").click();
    h.run_steps(2);
    let name_field = h.get_by_role(egui::Role::TextInput);
    name_field.focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_role(egui::Role::TextInput)
        .type_text("Editor Test Saw");
    h.step();
    h.get_by_label("Save preset").click();
    h.run_steps(3);

    let file = user_dir().join("presets").join("editor-test-saw.nwtpreset");
    assert!(file.is_file(), "the preset file exists: {}", file.display());
    let saved = neural_wavetable::preset::Preset::load(&file).unwrap();
    assert_eq!(saved.name, "Editor Test Saw");
    assert!((saved.params["detune"].number().unwrap() - detune).abs() < 1e-6);
    let (current, dirty) = h
        .state()
        .current_preset()
        .map(|(e, d)| (e.clone(), d))
        .unwrap();
    assert!(current.user && current.name == "Editor Test Saw" && !dirty);
    assert!(
        h.state().presets().iter().any(|e| e.key == current.key),
        "the list shows it"
    );

    // Save As with the same name again does not overwrite the file.
    let before = std::fs::read_to_string(&file).unwrap();
    h.state_mut().save_preset("Editor Test Saw", "Lead", None);
    let (message, error) = h.state().message().unwrap();
    assert!(error && message.contains("already exists"), "{message}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    // Change the sound, then load the saved preset back from the list.
    drag(&mut h, at, egui::vec2(0.0, 30.0), egui::Modifiers::NONE);
    assert!((params.detune.value() - detune).abs() > 1.0);
    let entry = current.clone();
    h.state_mut().load_preset(&entry);
    h.run_steps(2);
    assert!(
        (params.detune.value() - detune).abs() < 1e-3,
        "the saved detune is back"
    );

    // Save writes over the preset's own file, even when its name would make another one.
    let renamed = user_dir().join("presets").join("my-own-name.nwtpreset");
    std::fs::rename(&file, &renamed).unwrap();
    h.state_mut().refresh_presets();
    let entry = h
        .state()
        .presets()
        .iter()
        .find(|e| e.key == renamed.display().to_string())
        .cloned()
        .unwrap();
    h.state_mut().load_preset(&entry);
    let at = centre(&h, "Detune");
    drag(&mut h, at, egui::vec2(0.0, -10.0), egui::Modifiers::NONE);
    h.get_by_label("Save").click();
    h.run_steps(2);
    let saved = neural_wavetable::preset::Preset::load(&renamed).unwrap();
    assert!((saved.params["detune"].number().unwrap() - params.detune.value()).abs() < 1e-6);
    assert!(!file.exists(), "no second file was made");
}

/// A file dropped onto the editor, as a window system hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Default parameters with a decoder worker reporting to a `NeuralInfo`,
/// settled on its first table.
fn settled_worker() -> (Arc<SynthParams>, Arc<NeuralInfo>, Model, DecoderWorker) {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let model = Model::embedded().unwrap();
    let worker = DecoderWorker::spawn(
        params.clone(),
        model.clone(),
        TableLink::new(),
        WorkerOptions {
            prefer_gpu: false,
            info: Some(info.clone()),
        },
    )
    .unwrap();
    assert!(worker.settle(Duration::from_secs(30)));
    (params, info, model, worker)
}

fn drop_file(h: &mut Harness<'_, Editor>, at: egui::Pos2, path: &Path) {
    h.hover_at(at);
    h.step();
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    h.run_steps(2);
}

fn write_triangle_cycle(path: &Path, len: usize) -> Vec<f32> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut out = Vec::new();
    for i in 0..len {
        let t = i as f32 / len as f32;
        let v = if t < 0.5 {
            4.0 * t - 1.0
        } else {
            3.0 - 4.0 * t
        };
        let q = (v * 0.8 * 32767.0).round() as i16;
        w.write_sample(q).unwrap();
        out.push(f32::from(q) / 32768.0);
    }
    w.finalize().unwrap();
    out
}

#[test]
fn dropping_a_wav_onto_an_anchor_slot_encodes_it() {
    let dir = user_dir().join("drops");
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("tri-cycle.wav");
    write_triangle_cycle(&wav, 600);
    let broken = dir.join("broken.wav");
    std::fs::write(&broken, b"RIFF\xff\xff\xff\x7fWAVEfmt ").unwrap();

    let (params, info, model, worker) = settled_worker();
    let before = info.status();
    assert!(before.anchor_latents[1].is_none(), "slot B starts empty");

    let mut h = harness(editor(&params, &info));

    // A broken file changes nothing and says why.
    let slot_b = centre(&h, &anchor_label(1));
    drop_file(&mut h, slot_b, &broken);
    assert!(params.anchors_snapshot().slots[1].is_none());
    let (message, error) = h.state().message().unwrap();
    assert!(
        error && message.contains("broken.wav"),
        "message: {message}"
    );

    // A file dropped outside every slot is not taken.
    drop_file(&mut h, egui::pos2(5.0, 740.0), &wav);
    assert!(params.anchors_snapshot().slots[1].is_none());

    // Onto slot B: the cycle becomes anchor B, and the worker encodes it.
    drop_file(&mut h, slot_b, &wav);
    let anchors = params.anchors_snapshot();
    let Some(Anchor::Wave { name, samples }) = &anchors.slots[1] else {
        panic!("slot B holds {:?}", anchors.slots[1]);
    };
    assert_eq!(name, "tri-cycle");
    assert_eq!(samples.len(), 600);
    assert!(worker.settle(Duration::from_secs(30)));
    let status = info.status();
    let encoded = status.anchor_latents[1].expect("the worker encoded anchor B");
    let expected = model.encode(&Harmonics::from_cycle(samples)).unwrap();
    let distance = largest_difference(&encoded, &expected);
    assert!(
        distance < 1e-5,
        "the worker's latent is the encoder's (max diff {distance})"
    );
    assert_ne!(status.path, before.path, "the table now runs from A to B");
    h.run_steps(2);
    assert!(h.query_by_label(&anchor_label(1)).is_some());

    // Export the table heard now; the file reads back as the same frames, bit for bit.
    h.get_by_label("Export table").click();
    h.run_steps(2);
    let (message, error) = h.state().message().unwrap();
    assert!(!error, "{message}");
    let file = user_dir().join("wavetables").join("init.wav");
    let neural_wavetable::wav_import::Imported::Table { frame_size, frames } =
        neural_wavetable::wav_import::import_file(&file).unwrap()
    else {
        panic!("{} is not read as a wavetable", file.display());
    };
    assert_eq!(frame_size, 2048);
    // Scaled as a whole to full scale where Even Loudness lifted a frame above it.
    let gain = neural_wavetable::wav::wavetable_gain(&status.frames);
    let playing: Vec<Vec<f32>> = status
        .frames
        .iter()
        .map(|f| f.iter().map(|x| x * gain).collect())
        .collect();
    assert_eq!(frames, playing, "the exported table is the one playing");
    // A second export does not overwrite the first.
    h.get_by_label("Export table").click();
    h.run_steps(2);
    assert!(user_dir().join("wavetables").join("init-2.wav").is_file());

    // A Serum-style table dropped on the table view plays as the imported table.
    let table_file = dir.join("four-frames.wav");
    let four: Vec<Vec<f32>> = (0..4)
        .map(|k| {
            (0..2048)
                .map(|i| ((i as f32 / 2048.0) * std::f32::consts::TAU * (k + 1) as f32).sin() * 0.5)
                .collect()
        })
        .collect();
    neural_wavetable::wav::write_wavetable(&table_file, 48_000, &four).unwrap();
    let view = centre(&h, nwt_gui::editor::TABLE_VIEW_LABEL);
    drop_file(&mut h, view, &table_file);
    assert_eq!(params.table.value(), nwt_engine::factory::TableSource::User);
    let user = params
        .user_table_snapshot()
        .expect("the table was imported");
    assert_eq!((user.name.as_str(), user.frames.len()), ("four-frames", 4));
    assert!(worker.settle(Duration::from_secs(30)));
    assert_eq!(
        info.status().frames.len(),
        4,
        "the worker built the imported table"
    );

    // Any frame of that table can become an anchor: the one at the position.
    params.set_by_id("position", "1", 48_000.0).unwrap();
    h.run_steps(1);
    let slot_c = centre(&h, &anchor_label(2));
    drop_file(&mut h, slot_c, &table_file);
    match &params.anchors_snapshot().slots[2] {
        Some(Anchor::Wave { name, samples }) => {
            assert_eq!(name, "four-frames #4");
            assert_eq!(samples, &four[3]);
        }
        other => panic!("slot C holds {other:?}"),
    }
    worker.stop();
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn the_editor_opens_and_closes_50_times() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let (mut writer, reader) = nwt_engine::telemetry::report_channel();
    let reader = Arc::new(std::sync::Mutex::new(reader));
    user_dir();
    let threads = thread_count();
    for round in 0..50 {
        writer.publish([0.5, 0.25], 0.001, 0.01, |r| {
            r.voices = 2;
            r.positions[0] = 0.25;
            r.positions[1] = 0.75;
        });
        let editor = Editor::new(
            params.clone(),
            info.clone(),
            Arc::new(PluginLibrary),
            Arc::new(DirectAccess),
            Some(reader.clone()),
        );
        let mut h = harness(editor);
        h.run_steps(3);
        assert!(
            h.query_by_label("Cutoff").is_some(),
            "round {round} drew the page"
        );
        drop(h);
    }
    assert_eq!(
        Arc::strong_count(&params),
        1,
        "every editor let go of the parameters"
    );
    assert_eq!(Arc::strong_count(&info), 1);
    assert_eq!(Arc::strong_count(&reader), 1, "and of the report channel");
    assert!(
        thread_count() <= threads,
        "no thread left behind ({} → {})",
        threads,
        thread_count()
    );
    let _ = params.param_map();
}

#[test]
fn the_scale_is_chosen_in_the_editor_and_kept_in_the_state() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    h.get_by_label("Scale").click();
    h.run_steps(2);
    h.get_by_label("150 %").click();
    h.run_steps(2);
    assert_eq!(params.editor_memory().scale, 1.5);
    assert_eq!(
        h.ctx.zoom_factor(),
        1.5,
        "the page is drawn 1.5 times larger"
    );
    // The scale is part of the plugin state the host saves.
    let fields = params.serialize_fields();
    let restored = SynthParams::default();
    restored.deserialize_fields(&fields);
    assert_eq!(restored.editor_memory().scale, 1.5);
}

#[test]
fn at_150_and_200_percent_on_a_1080p_screen_the_whole_synth_is_in_view() {
    let screen = egui::vec2(1920.0, 1080.0);
    for (label, scale) in [("150 %", 1.5), ("200 %", 2.0)] {
        let params = Arc::new(SynthParams::default());
        let info = Arc::new(NeuralInfo::default());
        let mut ed = editor(&params, &info);
        ed.set_screen(Some(screen));
        let mut h = harness(ed);
        h.get_by_label("Scale").click();
        h.run_steps(2);
        h.get_by_label(label).click();
        h.run_steps(2);
        // The choice is kept as made …
        assert_eq!(params.editor_memory().scale, scale);
        // … and shown at the largest zoom at which the design size, which
        // holds every section, fits the screen (with the host's margin).
        let zoom = h.ctx.zoom_factor();
        assert!(zoom < scale, "{label}: zoom {zoom}");
        let (w, hgt) = EditorMemory::DEFAULT_SIZE;
        assert!(
            hgt * zoom <= 0.9 * screen.y + 0.5,
            "{label}: {}",
            hgt * zoom
        );
        assert!(w * zoom <= 0.9 * screen.x + 0.5);
        // The window the app makes at that zoom is the design size (it fits),
        // and in it every control, down to the lowest row, ends inside.
        let window = nwt_gui::screen::fit_window(
            egui::vec2(w, hgt),
            zoom,
            Some(screen),
            egui::vec2(EditorMemory::MIN_SIZE.0, EditorMemory::MIN_SIZE.1),
        );
        assert!((window - egui::vec2(w, hgt)).length() < 0.01, "{window:?}");
        let controls: Vec<egui::Rect> = h
            .query_all_by(|n| {
                use egui::accesskit::Role;
                matches!(n.role(), Role::Slider | Role::Button | Role::ComboBox)
            })
            .map(|n| n.rect())
            .collect();
        let lowest = controls.iter().map(|r| r.bottom()).fold(0.0f32, f32::max);
        let rightmost = controls.iter().map(|r| r.right()).fold(0.0f32, f32::max);
        println!("{label}: zoom {zoom:.3}, controls end at x {rightmost:.0}, y {lowest:.0}");
        assert!(
            lowest > 0.5 * hgt && lowest <= hgt,
            "{label}: lowest control ends at {lowest}"
        );
        assert!(
            rightmost <= w,
            "{label}: rightmost control ends at {rightmost}"
        );
    }
}

#[test]
fn a_scale_is_chosen_from_the_tuning_menu_and_kept_in_the_state() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    h.get_by_label("Tuning").click();
    h.run_steps(2);
    h.get_by_label("19-EDO").click();
    h.run_steps(2);
    let tuning = params.tuning.get().expect("a tuning was chosen");
    assert_eq!(tuning.name, "19-EDO");
    let step = (params.tuning.table().pitch(61) - params.tuning.table().pitch(60)) * 100.0;
    assert!((step - 63.158).abs() < 0.01, "{step}");
    // Back to 12-EDO.
    h.get_by_label("Tuning").click();
    h.run_steps(2);
    h.get_by_label("12-EDO").click();
    h.run_steps(2);
    assert_eq!(params.tuning.get(), None);
    assert_eq!(params.tuning.table().pitch(61), 61.0);
}

#[test]
fn meters_and_voice_markers_fall_when_audio_stops() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let (mut writer, mut h) = editor_with_reports(&params, &info);
    writer.publish([0.5, 0.5], 0.001, 0.01, |r| {
        r.voices = 3;
    });
    h.run_steps(2);
    assert_eq!(h.state().shown_report().voices, 3);
    assert!((h.state().shown_report().load - 0.1).abs() < 1e-6);
    // No new report for longer than 200 ms: audio has stopped.
    std::thread::sleep(Duration::from_millis(250));
    h.run_steps(2);
    let shown = h.state().shown_report();
    assert_eq!((shown.voices, shown.peak, shown.load), (0, [0.0, 0.0], 0.0));
}

#[test]
fn the_modulation_section_routes_a_source_to_a_destination() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let slot = &params.modulation[3];
    assert_eq!(slot.source.value(), nwt_engine::modulation::ModSource::Off);

    h.get_by_label("Mod 4 Source").click();
    h.run_steps(2);
    // The open menu's item (the amp envelope has a "Velocity" knob too).
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Velocity")
        .click();
    h.run_steps(2);
    h.get_by_label("Mod 4 Destination").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Level")
        .click();
    h.run_steps(2);
    assert_eq!(
        slot.source.value(),
        nwt_engine::modulation::ModSource::Velocity
    );
    assert_eq!(
        slot.destination.value(),
        nwt_engine::modulation::ModDestination::Level
    );

    // Dragging the amount sideways: 0.5 % per point.
    let amount = centre(&h, "Mod 4 Amount");
    drag(
        &mut h,
        amount,
        egui::vec2(-60.0, 0.0),
        egui::Modifiers::NONE,
    );
    let value = slot.amount.value();
    assert!(
        (value + 0.3).abs() < 0.02,
        "amount after a 60-point drag left: {value}"
    );

    // The MPE switch.
    assert!(!params.mpe.value());
    h.get_by_label("MPE").click();
    h.run_steps(2);
    assert!(params.mpe.value());
}

/// Every event waiting in `inbox`, as (note-on?, key, velocity).
fn drain(inbox: &nwt_engine::NoteInbox) -> Vec<(bool, u8, f32)> {
    let mut out = Vec::new();
    while let Some(e) = inbox.pop() {
        match e {
            nwt_engine::SynthEvent::NoteOn { key, velocity, .. } => out.push((true, key, velocity)),
            nwt_engine::SynthEvent::NoteOff { key, .. } => out.push((false, key, 0.0)),
            other => panic!("unexpected {other:?}"),
        }
    }
    out
}

#[test]
fn a_prompt_is_modal_and_keys_typed_into_it_play_nothing() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let inbox = nwt_engine::NoteInbox::default();
    let mut e = editor(&params, &info);
    e.set_inbox(inbox.clone());
    let mut h = harness(e);
    h.get_by_label("Save As…").click();
    h.run_steps(2);
    // A would play C3; with the prompt open it plays nothing, focus or not.
    h.key_down(egui::Key::A);
    h.run_steps(2);
    h.key_up(egui::Key::A);
    h.run_steps(2);
    assert_eq!(drain(&inbox), vec![]);
    // A click behind the prompt moves nothing (it cancels the prompt, as
    // Cancel or Escape does).
    let before = params.resonance.value();
    h.get_by_label("Resonance").click();
    h.run_steps(2);
    assert_eq!(params.resonance.value(), before);
    assert!(
        h.query_by_label("Cancel").is_none(),
        "the prompt is still open"
    );
    // Cancelled, the keys play again.
    h.key_down(egui::Key::A);
    h.run_steps(2);
    h.key_up(egui::Key::A);
    h.run_steps(2);
    assert_eq!(
        drain(&inbox),
        vec![(true, 48, 102.0 / 127.0), (false, 48, 0.0)]
    );
}

#[test]
fn the_keyboard_plays_with_the_mouse_and_the_computer_keys() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let inbox = nwt_engine::NoteInbox::default();
    let mut e = editor(&params, &info);
    e.set_inbox(inbox.clone());
    let mut h = harness(e);

    // A click on the A4 key: a note-on at the keyboard's velocity, then its note-off.
    let a4 = centre(&h, "A4");
    h.event(egui::Event::PointerMoved(a4));
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    h.event(button(a4, true));
    h.run_steps(2);
    assert_eq!(drain(&inbox), vec![(true, 69, 102.0 / 127.0)]);
    assert_eq!(h.state().keyboard().held(), vec![69]);
    // Sliding to B4 while held: A4 stops, B4 starts.
    let b4 = centre(&h, "B4");
    h.event(egui::Event::PointerMoved(b4));
    h.run_steps(2);
    assert_eq!(
        drain(&inbox),
        vec![(false, 69, 0.0), (true, 71, 102.0 / 127.0)]
    );
    h.event(button(b4, false));
    h.run_steps(2);
    assert_eq!(drain(&inbox), vec![(false, 71, 0.0)]);

    // The computer keyboard: A is the keyboard's C (C3), K an octave up.
    for (key, note) in [(egui::Key::A, 48u8), (egui::Key::W, 49), (egui::Key::K, 60)] {
        h.key_down(key);
        h.run_steps(2);
        assert_eq!(drain(&inbox), vec![(true, note, 102.0 / 127.0)]);
        h.key_up(key);
        h.run_steps(2);
        assert_eq!(drain(&inbox), vec![(false, note, 0.0)]);
    }

    // Octave up: A plays C4.
    h.get_by_label("+").click();
    h.run_steps(2);
    h.key_down(egui::Key::A);
    h.run_steps(2);
    h.key_up(egui::Key::A);
    h.run_steps(2);
    assert_eq!(
        drain(&inbox),
        vec![(true, 60, 102.0 / 127.0), (false, 60, 0.0)]
    );
    // Z and X shift the octave as the buttons do, C and V the velocity by 20.
    for key in [egui::Key::X, egui::Key::X, egui::Key::Z, egui::Key::V] {
        h.key_down(key);
        h.run_steps(1);
        h.key_up(key);
        h.run_steps(1);
    }
    h.key_down(egui::Key::A);
    h.run_steps(2);
    h.key_up(egui::Key::A);
    h.run_steps(2);
    assert_eq!(
        drain(&inbox),
        vec![(true, 72, 122.0 / 127.0), (false, 72, 0.0)]
    );
}

#[test]
fn the_clip_light_latches_at_0_dbfs_until_clicked() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let (mut writer, mut h) = editor_with_reports(&params, &info);
    writer.publish([0.9, 0.5], 0.001, 0.01, |_| {});
    h.run_steps(2);
    assert!(!h.state().clipped(), "-0.9 dBFS is not a clip");
    writer.publish([0.2, 1.3], 0.001, 0.01, |_| {});
    h.run_steps(2);
    assert!(h.state().clipped());
    // It stays on after the level falls...
    writer.publish([0.1, 0.1], 0.001, 0.01, |_| {});
    h.run_steps(2);
    assert!(h.state().clipped());
    // ... until clicked.
    h.get_by_label("Clip").click();
    h.run_steps(2);
    assert!(!h.state().clipped());
}

/// Role and rectangle of every control (buttons, menus, knobs, fields,
/// switches) in drawing order.
fn control_rects(h: &Harness<'_, Editor>) -> Vec<(String, egui::Rect)> {
    use egui::accesskit::Role;
    h.query_all_by(|n| {
        matches!(
            n.role(),
            Role::Button
                | Role::ComboBox
                | Role::Slider
                | Role::SpinButton
                | Role::CheckBox
                | Role::Canvas
        )
    })
    .map(|n| (format!("{:?}", n.accesskit_node().role()), n.rect()))
    .collect()
}

#[test]
fn nothing_moves_when_presets_load_or_messages_show() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut e = editor(&params, &info);
    e.set_inbox(nwt_engine::NoteInbox::default());
    let mut h = harness(e);
    let before = control_rects(&h);
    assert!(before.len() > 80, "{} controls found", before.len());

    let entries: Vec<_> = h
        .state()
        .presets()
        .iter()
        .filter(|p| !p.user)
        .cloned()
        .collect();
    assert!(entries.len() >= 10);
    for entry in entries {
        h.state_mut().load_preset(&entry);
        h.run_steps(3);
        let after = control_rects(&h);
        assert_eq!(
            before.len(),
            after.len(),
            "{}: controls appeared or vanished",
            entry.name
        );
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            assert_eq!(
                b, a,
                "control {i} moved after loading {} (and showing its message)",
                entry.name
            );
        }
    }
}

#[test]
fn ctrl_z_undoes_a_knob_drag_and_an_anchor_change_and_ctrl_shift_z_redoes() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let undo = |h: &mut Harness<'_, Editor>, shift: bool| {
        let modifiers = if shift {
            egui::Modifiers::COMMAND | egui::Modifiers::SHIFT
        } else {
            egui::Modifiers::COMMAND
        };
        h.key_press_modifiers(modifiers, egui::Key::Z);
        h.run_steps(2);
    };

    // One drag (many values) is one step.
    let knob = centre(&h, "Resonance");
    drag(&mut h, knob, egui::vec2(0.0, -40.0), egui::Modifiers::NONE);
    let dragged = params.resonance.value();
    assert!(dragged > 0.15);
    // An anchor shape picked from its menu is another.
    h.get_by_label("Shape for anchor B").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "square")
        .click();
    h.run_steps(2);
    assert!(params.anchors_snapshot().slots[1].is_some());

    undo(&mut h, false);
    assert!(
        params.anchors_snapshot().slots[1].is_none(),
        "the anchor change is undone"
    );
    assert_eq!(params.resonance.value(), dragged, "the drag is still there");
    undo(&mut h, false);
    assert_eq!(
        params.resonance.value(),
        0.0,
        "the drag is undone in one step"
    );
    undo(&mut h, true);
    assert_eq!(params.resonance.value(), dragged, "redone");
    undo(&mut h, true);
    assert!(params.anchors_snapshot().slots[1].is_some(), "redone");
}

#[test]
fn a_preset_change_asks_before_dropping_unsaved_edits() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let first = h.state().presets()[0].clone();
    h.state_mut().load_preset(&first);
    h.run_steps(2);
    let knob = centre(&h, "Resonance");
    drag(&mut h, knob, egui::vec2(0.0, -40.0), egui::Modifiers::NONE);
    let edited = params.resonance.value();
    assert!(h.state().current_preset().is_some_and(|(_, dirty)| dirty));

    // ">" asks; Cancel keeps the edit and the preset.
    h.get_by_label(">").click();
    h.run_steps(2);
    assert!(h.state().pending_load().is_some(), "the question is open");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.state().pending_load().is_none());
    assert_eq!(h.state().current_preset().unwrap().0.key, first.key);
    assert_eq!(params.resonance.value(), edited);

    // ">" again, Discard: the next preset loads.
    h.get_by_label(">").click();
    h.run_steps(2);
    h.get_by_label("Discard").click();
    h.run_steps(2);
    let now = h.state().current_preset().unwrap();
    assert_ne!(now.0.key, first.key);
    assert!(!now.1, "the new preset is unmodified");
}

#[test]
fn typed_values_take_units_and_refusals_say_why() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let type_into = |h: &mut Harness<'_, Editor>, knob: &str, text: &str| {
        h.get_by_label(&value_label(knob)).click();
        h.run_steps(2);
        h.get_by_label(&value_label(knob)).type_text(text);
        h.step();
        h.key_press(egui::Key::Enter);
        h.run_steps(2);
    };
    type_into(&mut h, "Cutoff", "2k");
    assert!(
        (params.cutoff.value() - 2000.0).abs() < 0.5,
        "{}",
        params.cutoff.value()
    );
    type_into(&mut h, "Cutoff", "1.5 kHz");
    assert!((params.cutoff.value() - 1500.0).abs() < 0.5);
    type_into(&mut h, "Amp Release", "1.2 s");
    assert!((params.amp_release.value() - 1200.0).abs() < 0.5);
    type_into(&mut h, "Resonance", "70 %");
    assert!((params.resonance.value() - 0.7).abs() < 1e-6);
    // Shown to the parameter's step, not as 0.69999987.
    assert_eq!(nwt_gui::access::display_value(&params.resonance), "0.700");

    // A unit that makes no sense is refused, and the editor says why,
    // in place: nothing around it moves.
    let places = |h: &Harness<'_, Editor>| -> Vec<egui::Rect> {
        ["Resonance", "Key Track", "Amp Release", "LFO Rate", "Gain"]
            .iter()
            .map(|k| h.get_by_label(&value_label(k)).rect())
            .collect()
    };
    let before = places(&h);
    type_into(&mut h, "Cutoff", "3 q");
    assert!((params.cutoff.value() - 1500.0).abs() < 0.5, "unchanged");
    assert!(
        h.query_by_label_contains("\"q\" is not a unit here")
            .is_some(),
        "the refusal is explained"
    );
    assert_eq!(places(&h), before, "the refusal moved the layout");
}

#[test]
fn the_mouse_wheel_turns_a_knob() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let knob = centre(&h, "Resonance");
    h.hover_at(knob);
    h.step();
    for (notches, modifiers, expected) in [
        (3.0, egui::Modifiers::NONE, 0.03),
        (-1.0, egui::Modifiers::NONE, 0.02),
        (2.0, egui::Modifiers::SHIFT, 0.022),
    ] {
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, notches),
            modifiers,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        h.run_steps(2);
        let v = params.resonance.value();
        assert!((v - expected).abs() < 1e-4, "after {notches} notches: {v}");
    }
}

#[test]
fn the_wav_browser_opens_by_its_button_in_the_last_folder_used() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let folder = user_dir().join("browser-memory");
    std::fs::create_dir_all(&folder).unwrap();
    write_triangle_cycle(&folder.join("tri.wav"), 600);
    params.update_editor_memory(|m| m.wave_folder = Some(folder.clone()));

    let loads = h
        .get_all_by_label("Load…")
        .map(|n| n.rect())
        .collect::<Vec<_>>();
    let button = loads[1]; // anchor B
    h.get_all_by_label("Load…").nth(1).unwrap().click();
    h.run_steps(3);
    let title = h.get_by_label("Load WAV: anchor B").rect();
    // Right under its button (moved left only as far as the window's edge asks).
    assert!(
        (title.top() - button.bottom()).abs() < 40.0
            && title.left() <= button.left()
            && title.right() >= button.right(),
        "the browser opened at {title:?}, its button is at {button:?}"
    );
    // It lists the remembered folder; choosing the file fills the slot.
    h.get_by_label("tri.wav").click();
    h.run_steps(2);
    assert!(matches!(
        &params.anchors_snapshot().slots[1],
        Some(Anchor::Wave { name, .. }) if name.contains("tri")
    ));
    assert_eq!(params.editor_memory().wave_folder, Some(folder));
}

#[test]
fn the_plots_grow_with_the_window_and_the_knobs_do_not() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let size_at = |size: egui::Vec2| {
        let mut h = Harness::builder()
            .with_size(size)
            .with_step_dt(1.0 / 60.0)
            .build_ui_state(
                |ui, editor: &mut Editor| editor.show(ui),
                editor(&params, &info),
            );
        h.run_steps(3);
        let pad = h.get_by_label(nwt_gui::pad::LABEL).rect();
        let knob = h.get_by_label("Resonance").rect();
        (pad.width(), knob.width(), h.state().growth())
    };
    let design = egui::vec2(EditorMemory::DEFAULT_SIZE.0, EditorMemory::DEFAULT_SIZE.1);
    let (pad, knob, grow) = size_at(design);
    assert_eq!(grow, 1.0);
    let (big_pad, big_knob, big_grow) = size_at(design * 1.5);
    assert!((big_grow - 1.5).abs() < 1e-3, "{big_grow}");
    assert!((big_pad / pad - 1.5).abs() < 0.01, "pad {pad} -> {big_pad}");
    assert_eq!(knob, big_knob, "knobs keep their size");
}

#[test]
fn an_idle_editor_asks_for_no_frames_and_a_playing_one_for_30_a_second() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let (mut writer, mut h) = editor_with_reports(&params, &info);
    h.run_steps(3);
    assert!(!h.ctx.has_requested_repaint(), "idle: no frame asked for");
    // Sound: the meters move, frames are asked for, at most 30 a second.
    let delays = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = delays.clone();
    h.ctx
        .set_request_repaint_callback(move |info| seen.lock().unwrap().push(info.delay));
    writer.publish([0.5, 0.5], 0.001, 0.01, |r| r.voices = 1);
    h.step();
    h.step();
    assert!(h.ctx.has_requested_repaint(), "meters moving");
    let delays = delays.lock().unwrap();
    assert!(!delays.is_empty());
    assert!(
        delays
            .iter()
            .all(|d| *d >= nwt_gui::REPAINT_POLL - Duration::from_millis(1)),
        "at most 30 frames a second: {delays:?}"
    );
}

#[test]
fn enter_saves_a_preset_as_and_the_status_says_where() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    h.get_by_label("Save As…").click();
    h.run_steps(2);
    h.get_by_role(egui::Role::TextInput).focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_role(egui::Role::TextInput)
        .type_text("Enter Key Pad");
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let file = user_dir().join("presets").join("enter-key-pad.nwtpreset");
    assert!(file.is_file(), "Enter saved {}", file.display());
    let (message, error) = h.state().message().unwrap();
    assert!(
        !error && message.contains(&file.display().to_string()),
        "{message}"
    );
}

#[test]
fn an_anchor_menu_shows_its_shape_and_lists_every_shape() {
    let params = Arc::new(SynthParams::default());
    let info = Arc::new(NeuralInfo::default());
    let mut h = harness(editor(&params, &info));
    let menu = h.get_by_label("Shape for anchor A");
    assert_eq!(menu.accesskit_node().value().as_deref(), Some("saw"));
    menu.click();
    h.run_steps(2);
    for shape in nwt_engine::neural::AnchorShape::ALL {
        let item = h.get_by_role_and_label(egui::accesskit::Role::Button, shape.id());
        assert!(
            item.rect().bottom() <= 900.0,
            "{} is cut off at {:?}",
            shape.id(),
            item.rect()
        );
    }
}

#[test]
fn the_dice_button_draws_the_sound_nwt_render_dice_draws_for_its_seed() {
    let (params, info, model, worker) = settled_worker();
    let before = info.status().path;
    let mut h = harness(editor(&params, &info));
    // The shapes' latents arrive after the first table.
    for _ in 0..100 {
        if info.status().shapes.len() == nwt_engine::neural::AnchorShape::ALL.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let seed_of = |anchors: &nwt_engine::neural::Anchors| -> u64 {
        let Some(Anchor::Latent { name, .. }) = &anchors.slots[0] else {
            panic!("anchor A is {:?}", anchors.slots[0]);
        };
        name.split(' ').nth(1).unwrap().parse().unwrap()
    };
    let mut seeds = Vec::new();
    for _ in 0..2 {
        h.get_by_label("Dice").click();
        h.run_steps(2);
        let anchors = params.anchors_snapshot();
        let seed = seed_of(&anchors);
        assert!(
            h.query_by_label(&format!("seed {seed}")).is_some(),
            "the seed is shown"
        );
        // Bit for bit what `nwt render --dice SEED` sets.
        let want = nwt_engine::neural::dice::dice(&model, seed).unwrap();
        assert_eq!(anchors, want, "seed {seed}");
        seeds.push(seed);
    }
    assert_ne!(seeds[0], seeds[1], "a second throw, another sound");
    assert!(worker.settle(Duration::from_secs(30)));
    assert_ne!(
        info.status().path,
        before,
        "the table follows the drawn anchors"
    );
}
