"""Drives the built VST3 bundle in a real, widely used VST3 host: Spotify's
pedalboard (JUCE's VST3 hosting). Run by plugin/tests/vst3_host.rs:

    python3 vst3_host.py BUNDLE.vst3 REFERENCE_DIR

REFERENCE_DIR holds `nwt render` outputs made with the same settings
(rest.wav: Init, A3 for 2 s; macro.wav: the same with macro_1 = 0.9).
Prints one line per check; exits non-zero on the first failure.
"""

import json
import math
import struct
import sys

import numpy as np
import pedalboard

SR = 48_000
BLOCK = 512
NOTE = 57  # A3, 220 Hz
SECONDS = 2.5
HELD = 2.0


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        sys.exit(1)


def read_wav_f32(path):
    """Reads a 32-bit float WAV (what nwt writes) into (channels, samples)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, channels, fmt = 12, None, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if chunk == b"fmt ":
            fmt, channels = struct.unpack("<HH", body[:4])
        elif chunk == b"data":
            samples = np.frombuffer(body, dtype="<f4")
            return samples.reshape(-1, channels).T
        pos += 8 + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def notes():
    return [(bytes([0x90, NOTE, 100]), 0.0), (bytes([0x80, NOTE, 0]), HELD)]


def render(plugin):
    plugin.reset()
    return plugin(notes(), duration=SECONDS, sample_rate=SR, num_channels=2, buffer_size=BLOCK)


def pitch(x):
    """Frequency of the strongest peak near 220 Hz (Hann-windowed DTFT, golden search)."""
    seg = x[int(0.5 * SR):int(1.5 * SR)].astype(np.float64)
    seg = seg - seg.mean()
    w = np.hanning(len(seg))
    n = np.arange(len(seg))

    def mag(f):
        return abs(np.sum(seg * w * np.exp(-2j * math.pi * f * n / SR)))

    lo, hi = 210.0, 230.0
    g = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if mag(a) > mag(b):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2


def harmonic_db(x, count=24):
    seg = x[int(1.0 * SR):int(1.0 * SR) + 16384].astype(np.float64)
    w = np.hanning(len(seg))
    n = np.arange(len(seg))
    return np.array([
        20 * math.log10(abs(np.sum(seg * w * np.exp(-2j * math.pi * 220.0 * k * n / SR))) + 1e-30)
        for k in range(1, count + 1)
    ])


def main():
    bundle, reference_dir = sys.argv[1], sys.argv[2]
    plugin = pedalboard.load_plugin(bundle)
    check(plugin.is_instrument, "loads as an instrument")

    params = plugin.parameters
    wanted = ["gain_db", "macro_1", "position", "cutoff_hz", "mpe", "mod_1_source", "mod_1_amount"]
    check(all(p in params for p in wanted), f"lists its parameters ({len(params)}, with {wanted})")

    rest = render(plugin)
    check(rest.shape == (2, int(SECONDS * SR)), f"renders stereo {rest.shape}")
    check(bool(np.isfinite(rest).all()), "every sample is finite")
    rms = 20 * math.log10(float(np.sqrt(np.mean(rest[0, :int(HELD * SR)] ** 2))))
    check(rms > -40.0, f"not silent: {rms:.1f} dBFS")
    f = pitch(rest[0])
    cents = 1200 * math.log2(f / 220.0)
    check(abs(cents) < 0.5, f"A3 plays at {f:.3f} Hz ({cents:+.3f} cents)")

    expected_rest = read_wav_f32(f"{reference_dir}/rest.wav")
    n = min(expected_rest.shape[1], rest.shape[1])
    diff = float(np.max(np.abs(rest[:, :n] - expected_rest[:, :n])))
    check(diff < 1e-5, f"equals nwt render of the same notes (largest difference {diff:.2e})")

    # A macro set before an offline render is heard from the first block.
    params["macro_1"].raw_value = 0.95  # normalised: macro 1 = 0.9
    moved = render(plugin)
    expected = read_wav_f32(f"{reference_dir}/macro.wav")
    n = min(expected.shape[1], moved.shape[1])
    diff = float(np.max(np.abs(moved[:, :n] - expected[:, :n])))
    change = float(np.mean(np.abs(harmonic_db(moved[0]) - harmonic_db(rest[0]))))
    check(change > 2.0, f"macro 1 = 0.9 moves harmonics 1..24 by {change:.1f} dB on average")
    check(diff < 1e-5, f"the macro render equals nwt render from the first block ({diff:.2e})")

    # State: save, change, restore; identical parameters and audio.
    state = plugin.raw_state
    values = {k: params[k].raw_value for k in wanted}
    params["macro_1"].raw_value = 0.2
    params["position"].raw_value = 0.7
    plugin.raw_state = state
    restored = {k: params[k].raw_value for k in wanted}
    differ = {k: (values[k], restored[k]) for k in wanted if abs(values[k] - restored[k]) > 1e-7}
    check(not differ, f"state restores the parameters (differing: {json.dumps(differ)})")
    # The whole state (parameters, anchors, imported table, editor) comes back as it was.
    check(plugin.raw_state == state, f"re-saving gives the same {len(state)}-byte state")
    again = render(plugin)
    diff = float(np.max(np.abs(again - moved)))
    check(diff < 1e-6, f"the restored state renders the same audio ({diff:.2e})")

    # Two instances at once, each with its own sound.
    second = pedalboard.load_plugin(bundle)
    second.parameters["macro_1"].raw_value = 0.5
    a, b = render(plugin), render(second)
    diff_a = float(np.max(np.abs(a - moved)))
    diff_b = float(np.max(np.abs(b - rest)))
    check(diff_a < 1e-6 and diff_b < 1e-6,
          f"two instances keep their own sounds ({diff_a:.2e}, {diff_b:.2e})")
    print("all VST3 checks passed", flush=True)


if __name__ == "__main__":
    main()
