"""One configuration from defaults, a TOML file, the environment and flags, in that order."""
from pathlib import Path

import pytest

from pipeline.config import ConfigError, build_config


def test_layers_override_in_order(tmp_path: Path):
    toml = tmp_path / "callqa.toml"
    toml.write_text('engine = "openai-whisper"\nbeam_size = 3\nlanguage = "ru"\n')
    cfg = build_config(toml, env={"CALLQA_BEAM_SIZE": "2", "CALLQA_OTHER_TOOL": "x"}, language=None, device="cpu")
    assert (cfg.engine, cfg.beam_size, cfg.language, cfg.device) == ("openai-whisper", 2, "ru", "cpu")
    assert cfg.model == "default" and cfg.stereo_roles == ("agent", "customer")


@pytest.mark.parametrize("text,message", [
    ('enigne = "x"', "unknown config key 'enigne'"),
    ('engine = "vosk"', "config key 'engine'"),
    ('beam_size = "wide"', "config key 'beam_size'"),
    ('left_channel = "customer"', "must name different roles"),
    ("engine = ", "config file"),
])
def test_invalid_config_names_the_key(tmp_path: Path, text, message):
    toml = tmp_path / "c.toml"
    toml.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message):
        build_config(toml, env={})
