"""Each training preset runs a few steps on synthetic photos, saves and reloads; resume is exact."""

import csv
import dataclasses
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from PIL import Image

import hfcolor
from hfcolor.models import create_model

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "train"))
import losses  # noqa: E402
import model_setup  # noqa: E402
import training_data  # noqa: E402
import validation  # noqa: E402
from checkpoints import describe_losses  # noqa: E402

import train  # noqa: E402

TINY = ["--model=unet-tiny", "--pretrained=false", "--discriminator=patchgan-tiny",
        "--load_size=48", "--crop=32", "--batch_size=4", "--num_workers=0", "--val_every=2",
        "--val_images=2", "--save_every=2", "--log_every=1", "--prior_images=20",
        "--gan_start=1", "--threads=1"]


@pytest.fixture(autouse=True)
def fresh_accelerator_state():
    """Each run starts Accelerate afresh, as a new process would (mixed precision differs)."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(12):
        base = rng.integers(0, 256, 3)
        image = np.clip(base + rng.normal(0, 30, (40, 56, 3)), 0, 255).astype(np.uint8)
        folder = root / ("cats" if i % 2 else "dogs")
        folder.mkdir(exist_ok=True)
        Image.fromarray(image).save(folder / f"{i}.png")
    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(root / "grey.png")
    return root


def _run(photos, out, *extra):
    return train.main([*TINY, f"--data={photos}", f"--val_data={photos}", f"--out={out}", *extra])


@pytest.mark.parametrize("preset", sorted(train.PRESETS))
def test_each_preset_trains_saves_and_reloads(photos, tmp_path, preset):
    extra = ["--model=unet-tiny", "--model_kwargs={\"head\": \"classifier\"}"] \
        if preset == "classifier" else []
    checkpoint = _run(photos, tmp_path, f"--preset={preset}", "--max_steps=2", *extra)
    model = hfcolor.from_pretrained(checkpoint)
    out = model(torch.zeros(1, 1, 32, 32))
    assert all(torch.isfinite(v).all() for v in out.values())
    assert (tmp_path / "train_log.csv").exists() and (tmp_path / "val_log.csv").exists()
    assert (tmp_path / "val_0000002.png").exists()
    files = (tmp_path / "files.txt").read_text().split("\n")
    assert len(files) == 12  # the grey photo was dropped


def test_resume_continues_bit_for_bit(photos, tmp_path):
    straight = _run(photos, tmp_path / "a", "--preset=default", "--max_steps=4")
    _run(photos, tmp_path / "b", "--preset=default", "--max_steps=2")
    resumed = _run(photos, tmp_path / "b", "--resume", "--max_steps=4")
    a = safetensors.torch.load_file(straight / "model.safetensors")
    b = safetensors.torch.load_file(resumed / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_of_a_finished_run_says_so(photos, tmp_path, capsys):
    _run(photos, tmp_path, "--preset=regression", "--max_steps=1")
    capsys.readouterr()
    _run(photos, tmp_path, "--resume", "--max_steps=1")
    assert "already at step 1 of --max_steps=1" in capsys.readouterr().out


def test_resume_changes_exactly_the_options_given(tmp_path):
    saved = train.TrainConfig(model="unet-tiny", out=str(tmp_path), lr=1e-3)
    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "checkpoint" / "train_config.json").write_text(
        json.dumps(dataclasses.asdict(saved)))
    cfg = train.resolve_config([f"--out={tmp_path}", "--resume", "--max_steps=7"])
    assert cfg.model == "unet-tiny" and cfg.max_steps == 7
    assert cfg.lr == 1e-3 and cfg.resume
    with pytest.raises(SystemExit, match="no --preset"):
        train.resolve_config([f"--out={tmp_path}", "--resume", "--preset=gan"])
    for change in ('--model_kwargs={"head": "both"}', "--gan_weight=1", "--freeze_encoder",
                   "--encoder_lr_scale=0.1"):
        with pytest.raises(SystemExit, match="--resume cannot change .*--init_from="):
            train.resolve_config([f"--out={tmp_path}", "--resume", change])
    assert train.resolve_config([f"--out={tmp_path}", "--resume", "--gan_weight=0"]).resume


def test_reset_and_frozen_encoder_keep_the_imagenet_weights(photos, tmp_path):
    tuned = _run(photos, tmp_path / "a", "--preset=default", "--max_steps=2")
    imagenet = hfcolor.models.create_model("unet-tiny").encoder.state_dict()
    torch.save(imagenet, tmp_path / "encoder.pt")
    refit = _run(photos, tmp_path / "b", "--preset=default", "--max_steps=2",
                 f"--init_from={tuned}", "--reset_encoder", "--freeze_encoder",
                 f"--encoder_weights={tmp_path / 'encoder.pt'}")
    before = safetensors.torch.load_file(tuned / "model.safetensors")
    after = safetensors.torch.load_file(refit / "model.safetensors")
    stem = next(k for k, v in imagenet.items() if v.ndim == 4)
    for key, value in imagenet.items():  # blocks and BatchNorm statistics: unchanged
        if key != stem:
            assert torch.equal(after[f"encoder.{key}"], value), key
    assert not torch.equal(after[f"encoder.{stem}"][:, 0], imagenet[stem][:, 0])  # stem learns
    assert not torch.equal(after["ab_head.0.weight"], before["ab_head.0.weight"])


def test_slow_encoder_learns_at_its_own_rate_and_keeps_bn_statistics(photos, tmp_path):
    start = _run(photos, tmp_path / "a", "--preset=regression", "--max_steps=2")
    slow = _run(photos, tmp_path / "b", "--preset=regression", "--max_steps=3",
                f"--init_from={start}", "--encoder_lr_scale=0")
    before = safetensors.torch.load_file(start / "model.safetensors")
    after = safetensors.torch.load_file(slow / "model.safetensors")
    encoder = [k for k in before if k.startswith("encoder.")]
    model = hfcolor.models.create_model("unet-tiny")
    stem = "encoder." + next(k for k, v in model.encoder.named_parameters() if v.ndim == 4)
    assert all(torch.equal(after[k], before[k]) for k in encoder if k != stem)  # incl. BN stats
    assert not torch.equal(after[stem], before[stem])
    assert not torch.equal(after["ab_head.0.weight"], before["ab_head.0.weight"])
    cfg = train.parse_args(["--encoder_lr_scale=0.1", "--lr=1e-3"])
    groups = model_setup.param_groups(model, cfg)
    assert [g.get("lr", cfg.lr) for g in groups] == [1e-3, 1e-3 * 0.1]


def test_encoder_drift_scores_an_untouched_encoder_like_imagenet(tmp_path):
    import encoder_drift

    from hfcolor.models.encoders import load_pretrained_encoder

    rng = np.random.default_rng(1)
    for name in ("n01443537_goldfish", "n01530575_brambling", "n09999999_unknown"):
        pixels = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{name}.jpg")
    model = hfcolor.models.create_model("unet-lite0")
    load_pretrained_encoder(model.encoder, "tf_efficientnet_lite0")
    inputs, labels = encoder_drift.grey_photos(tmp_path)
    assert labels.tolist() == [1, 10]  # the unknown WordNet id is left out
    reference = encoder_drift.imagenet_classifier("tf_efficientnet_lite0")
    tuned = encoder_drift.with_encoder(reference, model.encoder)
    with torch.inference_mode():
        assert torch.allclose(tuned(inputs), reference(inputs), atol=1e-4)


def test_folder_labels_train_a_semantic_head(photos, tmp_path):
    checkpoint = _run(photos, tmp_path, "--preset=regression", "--max_steps=2", "--labels",
                      "--class_weight=1")
    model = hfcolor.from_pretrained(checkpoint)
    assert model.class_names == ["cats", "dogs"]
    assert model(torch.zeros(3, 1, 32, 32))["classes"].shape == (3, 2)
    losses = (tmp_path / "train_log.csv").read_text().splitlines()[0]
    assert "loss_class" in losses


def test_folder_repeats_weigh_a_folder_more(photos, tmp_path):
    dataset = training_data.PhotoFolder(str(photos), 48, True, tmp_path / "files.txt",
                                repeats={"cats": 3})
    folders = [Path(f).parent.name for f in dataset.files]
    assert folders.count("cats") == 18 and folders.count("dogs") == 6
    assert len((tmp_path / "files.txt").read_text().split("\n")) == 12  # the cache: each once
    with pytest.raises(SystemExit, match="folder_repeats"):
        training_data.PhotoFolder(str(photos), 48, True, tmp_path / "files.txt",
                                  repeats={"birds": 2})


def test_pack_data_writes_the_squares_training_loads(photos, tmp_path):
    import shutil

    import pack_data

    shutil.copytree(photos, tmp_path / "data" / "train")
    shutil.copytree(photos / "cats", tmp_path / "data" / "val" / "cats")
    pack_data.main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / "packed"),
                    "--size", "32", "--val-set", "cats", "--val-photos", "2"])
    packed = training_data.PhotoFolder(str(tmp_path / "packed" / "train"), 32, True,
                               repeats={"cats": 2})
    assert len(packed) == 18  # the grey photo left out, cats twice
    image, _ = packed[0]
    assert image.shape == (3, 32, 32)
    source = photos / Path(packed.files[0]).parent.name / (Path(packed.files[0]).stem + ".png")
    original = training_data.load_square(str(source), 32).float()
    assert (image.float().mean((1, 2)) - original.mean((1, 2))).abs().max() < 6  # colours kept
    assert len(list((tmp_path / "packed" / "val").glob("*.webp"))) == 2


def test_labels_need_two_class_folders(photos, tmp_path):
    with pytest.raises(SystemExit, match="two class folders"):
        _run(photos / "cats", tmp_path, "--max_steps=1", "--labels", "--class_weight=1")


def test_typical_half_is_decoded_without_noise(photos, tmp_path, monkeypatch):
    seen = []
    decode = create_model("unet-tiny").decode.__func__

    def spy(self, features, noise=None, **kwargs):
        seen.append(noise.clone())
        return decode(self, features, noise, **kwargs)

    monkeypatch.setattr(type(create_model("unet-tiny")), "decode", spy)
    _run(photos, tmp_path, "--preset=diversity", "--max_steps=1", "--typical_fraction=0.5",
         "--sample_l1_weight=1")
    noise = seen[0]
    assert noise[:2].abs().sum() == 0 and noise[2:].abs().sum() > 0


SPY = """
import os, sys
sys.path.insert(0, {train!r})
import train
step = train.train_step

def spy(cfg, model, d_model, *args):
    models = [model] + ([d_model] if d_model is not None else [])
    total = sum(p.double().sum().item() for m in models for p in m.parameters())
    stats = sum(b.double().sum().item() for m in models for b in m.buffers())
    with open(os.path.join({out!r}, "rank" + os.environ["RANK"]), "a") as f:
        f.write(f"{{total:.12f}} {{stats:.12f}}\\n")
    return step(cfg, model, d_model, *args)

train.train_step = spy
train.main(sys.argv[1:])
"""


def test_two_processes_keep_identical_weights(photos, tmp_path):
    """Multi-process training (gloo on CPU, as on many GPUs) averages gradients and BatchNorm
    statistics every step; the first process alone writes the file list and the prior."""
    import os
    import subprocess

    script = tmp_path / "spy.py"
    script.write_text(SPY.format(train=str(Path(train.__file__).parent), out=str(tmp_path)))
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                    "--nproc_per_node=2", str(script), *TINY, f"--data={photos}",
                    f"--val_data={photos}", f"--out={tmp_path / 'run'}", "--preset=default",
                    "--max_steps=3"],
                   env=env, check=False, capture_output=True, timeout=300)
    rank0 = [line.split() for line in (tmp_path / "rank0").read_text().splitlines()]
    rank1 = [line.split() for line in (tmp_path / "rank1").read_text().splitlines()]
    assert len(rank0) == 3 and rank0 == rank1
    weights, stats = zip(*rank0, strict=True)
    assert len(set(weights)) == 3 and len(set(stats)) == 3  # both did change
    assert len((tmp_path / "run" / "files.txt").read_text().split("\n")) == 12


def test_unknown_option_is_refused():
    with pytest.raises(SystemExit, match="unknown option"):
        train.parse_args(["--no_such_thing=1"])


@pytest.mark.parametrize("bad", [
    "--batch_size=abc", "--lr=fast", "--max_steps=three", "--folder_repeats={bad",
    "--pretrained=maybe", "--preset=nope", "max_steps=3", "--betas=0.5", "--resume",
    "--data=/no/such/folder", "--val_data=/no/such/folder", "--init_from=/no/such/model",
    "--batch_size=0", "--batch_size=13", "--save_every=0", "--threads=-1", "--crop=64",
    "--typical_fraction=2", "--mixed_precision=fp8", "--pixel_loss=huber",
    "--folder_repeats={\"cats\": -1}",
    "--encoder_weights=/no/such/file.pt", '--model_kwargs={"head": "sideways"}',
    '--model_kwargs={"no_such_option": 1}', "--out=/proc/no/such/folder"])
def test_user_errors_are_one_line_with_status_2(photos, tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as exit:
        train.cli([*TINY, f"--data={photos}", "--val_data=none", f"--out={tmp_path}", bad])
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert error.strip().splitlines()[-1].startswith("train.py: error: ")  # after any progress


def test_option_values_are_parsed_by_their_type():
    cfg = train.parse_args(["--pretrained=no", "--threads=none", "--betas=0.5,0.9",
                            "--max_minutes=2", "--val_data=none", "--labels"])
    assert cfg.pretrained is False and cfg.threads is None and cfg.betas == (0.5, 0.9)
    assert cfg.max_minutes == 2.0 and cfg.val_data is None and cfg.labels is True


def test_validation_before_the_first_log_row_trains_on(photos, tmp_path):
    _run(photos, tmp_path, "--preset=regression", "--max_steps=2", "--val_every=1",
         "--log_every=25")
    assert (tmp_path / "val_log.csv").exists() and not (tmp_path / "train_log.csv").exists()
    assert (tmp_path / "checkpoint" / "model.safetensors").exists()


def test_train_log_takes_the_columns_of_losses_that_start_late(photos, tmp_path):
    _run(photos, tmp_path, "--preset=default", "--max_steps=3", "--val_data=none")
    with (tmp_path / "train_log.csv").open() as f:
        header, *rows = list(csv.reader(f))
    assert {"loss_gan", "loss_d"} <= set(header)
    assert all(len(row) == len(header) for row in rows) and len(rows) == 3
    first = dict(zip(header, rows[0], strict=True))
    assert first["loss_gan"] == "" and first["loss_l1"] != ""  # the GAN starts at step 1
    assert (tmp_path / "loss_curves.png").exists()  # drawn at the end, without validation
    assert not (tmp_path / "val_log.csv").exists()


def test_caches_are_rebuilt_when_the_data_changes(photos, tmp_path):
    cache = tmp_path / "files.txt"
    assert len(training_data.PhotoFolder(str(photos), 48, True, cache)) == 12
    assert len(training_data.PhotoFolder(str(photos / "cats"), 48, True, cache)) == 6
    assert len(cache.read_text().split("\n")) == 6
    cfg = train.parse_args(["--ce_weight=1", f"--data={photos / 'cats'}", "--prior_images=6"])
    cats = train.rebalancing_weights(cfg, tmp_path, "cpu")
    assert torch.equal(train.rebalancing_weights(cfg, tmp_path, "cpu"), cats)
    cfg.data = str(photos / "dogs")
    assert not torch.equal(train.rebalancing_weights(cfg, tmp_path, "cpu"), cats)


def test_the_file_list_follows_photos_added_to_the_folder(photos, tmp_path):
    data, cache = tmp_path / "data", tmp_path / "files.txt"
    data.mkdir()
    with pytest.raises(SystemExit, match="no colour photos"):
        training_data.PhotoFolder(str(data), 48, True, cache)
    assert not cache.exists()  # an empty list is never cached
    for path in sorted((photos / "cats").iterdir())[:3]:
        shutil.copy(path, data / path.name)
    assert len(training_data.PhotoFolder(str(data), 48, True, cache)) == 3
    shutil.copy(sorted((photos / "dogs").iterdir())[0], data / "dog.png")
    assert len(training_data.PhotoFolder(str(data), 48, True, cache)) == 4


def test_unreadable_photos_are_skipped_with_one_line(photos, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(photos / "cats", data)
    (data / "broken.jpg").write_text("not an image")
    dataset = training_data.PhotoFolder(str(data), 48, False, tmp_path / "files.txt")
    assert len(dataset) == 6 and "skipping unreadable photo" in capsys.readouterr().out
    good = dataset.files[0]
    Path(good).write_bytes(Path(good).read_bytes()[:40])  # broken after the scan
    image, _ = dataset[0]
    assert image.shape == (3, 48, 48) and "skipping unreadable photo" in capsys.readouterr().out
    val = validation.load_val_images(str(data), 10, 32)
    assert len(val) == 5


def test_push_to_hub_is_checked_before_training(monkeypatch):
    import huggingface_hub

    cfg = train.parse_args(["--push_to_hub=user/repo", "--data=.", "--val_data=none"])
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(SystemExit, match="HF_HUB_OFFLINE is set"):
        train.check_config(cfg)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with pytest.raises(SystemExit, match="needs a Hugging Face token"):
        train.check_config(cfg)


def test_a_failed_push_says_where_the_model_is(photos, tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise ConnectionError("no route to host\nmore detail")

    monkeypatch.setattr(train, "check_hub", lambda repo: None)
    monkeypatch.setattr(type(create_model("unet-tiny")), "push_to_hub", no_network)
    with pytest.raises(SystemExit, match=r"no route to host\); the model is saved at .*--resume"):
        _run(photos, tmp_path, "--max_steps=1", "--push_to_hub=user/repo")
    assert (tmp_path / "checkpoint" / "model.safetensors").exists()


def test_export_writes_generator_and_classifier_folders(photos, tmp_path, monkeypatch):
    import export

    checkpoint = _run(photos, tmp_path / "run", "--preset=default", "--max_steps=1")
    monkeypatch.setattr(export, "BUNDLED_MODELS", tmp_path / "models")
    export.main([str(checkpoint), "--no-eval", "--name=tiny"])
    generator = hfcolor.from_pretrained(tmp_path / "models" / "tiny")
    classifier = hfcolor.from_pretrained(tmp_path / "models" / "tiny-classifier")
    assert classifier.head == "classifier"
    assert (tmp_path / "models" / "tiny-classifier" / "prior.safetensors").exists()
    l = torch.rand(1, 1, 32, 32)
    assert torch.equal(generator(l)["logits"], classifier(l)["logits"])
    shipped = safetensors.torch.load_file(tmp_path / "models" / "tiny" / "model.safetensors")
    assert {v.dtype for v in shipped.values() if v.is_floating_point()} == {torch.float16}
    trained = hfcolor.from_pretrained(checkpoint)
    assert next(generator.parameters()).dtype == torch.float32
    torch.testing.assert_close(generator(l)["ab"], trained(l)["ab"], atol=2e-2, rtol=0)
    card = (tmp_path / "models" / "tiny" / "README.md").read_text()
    assert "L1 x10.0" in card and "PatchGAN from step 1 x1.0" in card
    assert "(12 colour photos)" in card and f"{os.cpu_count()} cores" in card


def test_reevaluate_refreshes_only_the_cards_evaluation(photos, tmp_path, monkeypatch):
    import export

    checkpoint = _run(photos, tmp_path / "run", "--preset=default", "--max_steps=1")
    monkeypatch.setattr(export, "BUNDLED_MODELS", tmp_path / "models")
    monkeypatch.setattr(export, "ROOT", tmp_path)
    export.main([str(checkpoint), "--no-eval", "--name=tiny", "--models", "generator"])
    folder = tmp_path / "models" / "tiny"
    before = (folder / "README.md").read_text()
    (tmp_path / "val").mkdir()
    (tmp_path / "val" / "imagenette").symlink_to(photos / "cats")
    with pytest.raises(SystemExit, match="lacks imagenet1k, hires"):
        export.main(["--reevaluate", str(folder), "--data", str(tmp_path / "val")])
    assert (folder / "README.md").read_text() == before
    for name in ("imagenet1k", "hires"):
        (tmp_path / "val" / name).symlink_to(photos / "dogs")
    export.main(["--reevaluate", str(folder), "--data", str(tmp_path / "val")])
    card = (folder / "README.md").read_text()
    assert "Not evaluated yet" in before and "Not evaluated yet" not in card
    for name in ("imagenette", "imagenet1k", "hires", "imagenet1k-4seeds"):
        assert f"### val/{name}\n" in card
        assert (tmp_path / "eval" / f"tiny-{name}" / "results.json").exists()
    assert "| grey baseline |" in card
    untouched = before.split("\n## Evaluation\n")[0]
    assert card.startswith(untouched)
    assert card.endswith(before[before.index("\n## Intended use"):])


def test_export_checks_every_model_before_writing_any(photos, tmp_path, monkeypatch):
    import export

    checkpoint = _run(photos, tmp_path / "run", "--preset=regression", "--max_steps=1")
    monkeypatch.setattr(export, "BUNDLED_MODELS", tmp_path / "models")
    with pytest.raises(SystemExit, match="no classifier head"):
        export.main([str(checkpoint), "--no-eval", "--name=tiny"])  # generator and classifier
    assert not (tmp_path / "models").exists()


def test_average_weights_mixes_two_runs_and_refuses_other_architectures(photos, tmp_path,
                                                                         monkeypatch):
    import average_weights

    a = _run(photos, tmp_path / "a", "--preset=default", "--max_steps=1")
    b = _run(photos, tmp_path / "b", "--preset=default", "--max_steps=2", f"--init_from={a}")
    monkeypatch.setattr(hfcolor.hub, "BUNDLED_MODELS", a.parent)  # `a` as a bundled model
    average_weights.main([str(tmp_path / "soup"), a.name, str(b), "--weights", "0.25", "0.75"])
    soup = safetensors.torch.load_file(tmp_path / "soup" / "model.safetensors")
    wa, wb = (safetensors.torch.load_file(x / "model.safetensors") for x in (a, b))
    key = "ab_head.0.weight"
    assert not torch.equal(wa[key], wb[key])
    torch.testing.assert_close(soup[key], 0.25 * wa[key] + 0.75 * wb[key])
    assert hfcolor.from_pretrained(tmp_path / "soup").head == "both"
    assert (tmp_path / "soup" / "train_config.json").exists()
    card = (tmp_path / "soup" / "README.md").read_text()
    assert "weight average" in card and f"`{b}` x 0.75" in card
    other = _run(photos, tmp_path / "c", "--preset=classifier", "--max_steps=1",
                 "--model=unet-tiny", '--model_kwargs={"head": "classifier"}')
    with pytest.raises(SystemExit, match="another architecture"):
        average_weights.main([str(tmp_path / "x"), str(a), str(other)])


def test_export_refuses_a_generator_from_a_classifier_run(photos, tmp_path, monkeypatch):
    import export

    checkpoint = _run(photos, tmp_path / "run", "--preset=classifier", "--max_steps=1",
                      "--model_kwargs={\"head\": \"classifier\"}")
    monkeypatch.setattr(export, "BUNDLED_MODELS", tmp_path / "models")
    with pytest.raises(SystemExit, match="no regression head"):
        export.main([str(checkpoint), "--no-eval", "--models", "generator"])
    export.main([str(checkpoint), "--no-eval", "--models", "classifier", "--name=tiny"])
    assert hfcolor.from_pretrained(tmp_path / "models" / "tiny-classifier").head == "classifier"


def test_bf16_mixed_precision_trains_and_saves_float32(photos, tmp_path):
    checkpoint = _run(photos, tmp_path, "--preset=default", "--max_steps=2",
                      "--mixed_precision=bf16")
    weights = safetensors.torch.load_file(checkpoint / "model.safetensors")
    floats = [w for w in weights.values() if w.is_floating_point()]
    assert all(w.dtype == torch.float32 and torch.isfinite(w).all() for w in floats)
    losses = (tmp_path / "train_log.csv").read_text().splitlines()[-1].split(",")
    assert all(np.isfinite(float(x)) for x in losses[1:])
    assert json.loads((checkpoint / "train_config.json").read_text())["mixed_precision"] == "bf16"


def test_feature_loss_compares_colour_through_a_frozen_imagenet_encoder():
    loss = losses.FeatureLoss().train()
    assert not loss.net.training and not any(p.requires_grad for p in loss.parameters())
    photo = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    grey = photo.mean(1, keepdim=True).expand_as(photo)
    nearly = (photo + 0.02 * torch.randn(photo.shape, generator=torch.Generator().manual_seed(1))
              ).clamp(0, 1)
    assert loss(photo, photo).item() == 0
    assert loss(grey, photo).item() > loss(nearly, photo).item() > 0
    colour = grey.clone().requires_grad_(True)
    loss(colour, photo).backward()
    assert colour.grad.abs().sum() > 0


def test_pixel_loss_is_l1_or_five_times_the_squared_error():
    pred, target = torch.zeros(2, 2, 4, 4), torch.full((2, 2, 4, 4), 0.2)
    target[1] = 0.1
    l1, mse = train.parse_args([]), train.parse_args(["--pixel_loss=mse", "--l1_weight=2"])
    assert losses.pixel_loss(pred, target, 1, l1).item() == pytest.approx((0.2 + 0.1) / 2)
    squared = 5 * (2 * 0.2**2 + 2 * 0.1**2) / 2  # both photos at l1_weight 2
    assert losses.pixel_loss(pred, target, 1, mse).item() == pytest.approx(squared)
    assert "squared error x2" in describe_losses(dataclasses.asdict(mse))


def test_perceptual_weight_adds_the_feature_loss(photos, tmp_path):
    _run(photos, tmp_path, "--preset=regression", "--max_steps=2", "--perceptual_weight=0.05")
    with (tmp_path / "train_log.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert all(float(row["loss_perceptual"]) > 0 for row in rows)


def test_ema_is_a_loadable_average_that_resumes_exactly(photos, tmp_path):
    start = _run(photos, tmp_path / "start", "--preset=regression", "--max_steps=2")
    args = ["--preset=regression", f"--init_from={start}", "--ema_decay=0.5"]
    straight = _run(photos, tmp_path / "a", *args, "--max_steps=4")
    _run(photos, tmp_path / "b", *args, "--max_steps=2")
    _run(photos, tmp_path / "b", "--resume", "--max_steps=4")
    begin, raw, ema, resumed = (safetensors.torch.load_file(p / "model.safetensors") for p in
                                (start, straight, tmp_path / "a" / "ema", tmp_path / "b" / "ema"))
    assert all(torch.equal(ema[k], resumed[k]) for k in ema)
    moved = [k for k in raw if raw[k].is_floating_point() and not torch.equal(raw[k], begin[k])]
    assert moved and all(not torch.equal(ema[k], raw[k]) for k in moved)
    ab = hfcolor.from_pretrained(tmp_path / "a" / "ema")(torch.zeros(1, 1, 32, 32))["ab"]
    assert ab.isfinite().all()
    with (tmp_path / "a" / "val_log.csv").open() as f:
        assert "ema_reg_psnr" in next(csv.DictReader(f))


def test_new_model_options_grow_a_saved_model_and_keep_its_weights(photos, tmp_path):
    start = _run(photos, tmp_path / "a", "--preset=regression", "--max_steps=2")
    cfg = train.parse_args(["--preset=regression", f"--init_from={start}", "--pretrained=false",
                            '--model_kwargs={"head": "regression", "global_context": true}'])
    saved = hfcolor.from_pretrained(start)
    grown = model_setup.grown_model(saved, cfg).eval()
    l = torch.rand(1, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(grown(l)["ab"], saved(l)["ab"])  # the new layers start as no-ops
    tuned = _run(photos, tmp_path / "b", "--preset=regression", "--max_steps=2",
                 f"--init_from={start}", "--freeze_encoder",
                 '--model_kwargs={"head": "regression", "global_context": true}')
    after = safetensors.torch.load_file(tuned / "model.safetensors")
    assert not torch.equal(after["context.project.weight"], grown.context.project.weight)
    cfg.freeze_encoder = True
    model_setup.freeze_encoder(grown)
    model_setup.set_train_mode(grown, cfg)
    assert not any(p.requires_grad for p in grown.context.head.parameters())  # frozen with
    assert not grown.context.head.training and grown.context.project.weight.requires_grad  # it
    assert hfcolor.from_pretrained(tuned).context is not None
    for dropping_or_reshaping in ({"head": "classifier"}, {"decoder_channels": [8, 8, 8, 8]}):
        cfg.model_kwargs = dropping_or_reshaping
        with pytest.raises(SystemExit, match="add layers, not remove or reshape"):
            model_setup.grown_model(saved, cfg)


@pytest.mark.parametrize("weights, refusal", [
    (["--ce_weight=1", '--model_kwargs={"head": "regression"}'], "313-bin classifier head"),
    (["--preset=classifier", "--model=unet-tiny", "--l1_weight=1",
      '--model_kwargs={"head": "classifier"}'], "regression head"),
    (["--div_weight=1", '--model_kwargs={"noise_channels": 0}'], "noise input"),
    (["--labels"], "only --class_weight trains"),
    (["--class_weight=1"], "class head"),
    (["--l1_weight=0"], "nothing to train"),
])
def test_a_loss_the_model_cannot_give_is_refused(photos, tmp_path, weights, refusal):
    with pytest.raises(SystemExit, match=refusal):
        _run(photos, tmp_path, "--max_steps=1", *weights)
    assert not (tmp_path / "checkpoint").exists()


def test_fine_tuning_keeps_the_saved_architecture_over_the_presets(photos, tmp_path):
    assert train.parse_args(["--preset=gan", "--init_from=x"]).model_kwargs == {}
    assert train.parse_args(["--preset=gan"]).model_kwargs == {"head": "regression"}
    start = _run(photos, tmp_path / "a", "--preset=default", "--max_steps=1")
    tuned = _run(photos, tmp_path / "b", "--preset=gan", f"--init_from={start}",
                 "--max_steps=2", "--ce_weight=1")
    assert hfcolor.from_pretrained(tuned).head == "both"  # not the gan preset's regression


def test_resume_needs_only_its_own_checkpoint(photos, tmp_path):
    start = _run(photos, tmp_path / "a", "--preset=regression", "--max_steps=1")
    _run(photos, tmp_path / "b", "--preset=regression", f"--init_from={start}", "--max_steps=2")
    shutil.rmtree(tmp_path / "a")
    resumed = _run(photos, tmp_path / "b", "--resume", "--max_steps=3")
    assert torch.load(resumed / "training_state.pt", weights_only=True)["step"] == 3


def test_train_log_gives_the_rate_each_step_trained_at(photos, tmp_path):
    _run(photos, tmp_path, "--preset=regression", "--max_steps=2", "--warmup_steps=4",
         "--lr=1e-3", "--val_data=none")
    with (tmp_path / "train_log.csv").open() as f:
        rates = [float(row["lr"]) for row in csv.DictReader(f)]
    assert rates == pytest.approx([1e-3 / 4, 2e-3 / 4])


def test_resume_past_its_time_limit_says_so(photos, tmp_path, capsys):
    _run(photos, tmp_path, "--preset=regression", "--max_steps=5", "--max_minutes=0")
    log = (tmp_path / "train_log.csv").read_text().splitlines()
    assert len(log) == 2  # the header and the one step the time allowed
    capsys.readouterr()
    _run(photos, tmp_path, "--resume")
    assert "--max_minutes=0: nothing to train" in capsys.readouterr().out
    assert (tmp_path / "train_log.csv").read_text().splitlines() == log


def test_every_process_takes_as_many_batches_of_each_epoch():
    shards = [list(training_data.EpochBatches(13, 2, seed=0, rank=r, world=3)) for r in range(3)]
    assert [len(s) for s in shards] == [2, 2, 2]
    seen = [i for shard in shards for batch in shard for i in batch]
    assert len(seen) == len(set(seen)) == 12


def test_two_processes_resume_bit_for_bit(photos, tmp_path):
    """Each process's noise stream is saved and restored, not only the first one's."""
    import subprocess

    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}

    def run(out, *extra):
        done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                               "--nproc_per_node=2", train.__file__, *TINY, f"--data={photos}",
                               "--val_data=none", f"--out={out}", *extra],
                              env=env, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return safetensors.torch.load_file(out / "checkpoint" / "model.safetensors")

    straight = run(tmp_path / "a", "--preset=diversity", "--max_steps=3")
    run(tmp_path / "b", "--preset=diversity", "--max_steps=2")
    resumed = run(tmp_path / "b", "--resume", "--max_steps=3")
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_resume_after_a_kill_mid_save_takes_the_last_whole_checkpoint(photos, tmp_path):
    _run(photos, tmp_path, "--preset=regression", "--max_steps=2", "--ema_decay=0.9")
    for name in ("checkpoint", "ema"):  # killed between the two renames of the swap
        (tmp_path / name).rename(tmp_path / f"{name}.old")
    resumed = _run(photos, tmp_path, "--resume", "--max_steps=3")
    assert torch.load(resumed / "training_state.pt", weights_only=True)["step"] == 3
    assert not any(tmp_path.glob("*.old"))
    shutil.copytree(resumed, tmp_path / "checkpoint.old")  # killed just after the swap
    resumed = _run(photos, tmp_path, "--resume", "--max_steps=4")
    assert torch.load(resumed / "training_state.pt", weights_only=True)["step"] == 4
