"""The text of a model card: what the model is, how it was trained, how well it does."""

import json


def render_model_card(model, *, title: str | None = None, description: str = "",
                      training: str = "", evaluation: str = "", samples: list[str] = (),
                      intended_use: str = "") -> str:
    config = {**(model._hub_mixin_config or {}), "model_class": type(model).__name__}
    params = sum(p.numel() for p in model.parameters())
    sections = [
        f"# {title or type(model).__name__}",
        description or "A black-and-white photo colorization model made with "
        "[hfcolor](https://github.com/hfcolor/hfcolor).",
        "## Use\n```python\nimport hfcolor\nmodel = hfcolor.from_pretrained(\"PATH_OR_REPO\")\n"
        "rgb = hfcolor.colorize(\"grey.jpg\", model=model)\n```\nor `hfcolor colorize grey.jpg "
        "-o out/ --model PATH_OR_REPO`.",
        f"## Architecture\n{type(model).__name__}, {params / 1e6:.2f} M parameters.\n\n"
        f"```json\n{json.dumps(config, indent=2, sort_keys=True)}\n```",
        f"## Training data and recipe\n{training or 'Not recorded.'}",
        f"## Evaluation\n{evaluation or 'Not evaluated yet: run `hfcolor evaluate`.'}",
    ]
    if samples:
        sections.append("## Samples\n" + "\n".join(f"![sample]({s})" for s in samples))
    sections.append(
        "## Intended use and limits\n" + (intended_use or
        "Colorizing historical and family black-and-white photographs for viewing. The colours "
        "are plausible guesses learnt from the training photos, not a record of the true colours; "
        "do not use them as historical evidence.")
    )
    sections.append("## Licence\nApache-2.0 for the weights and code. The training photos keep "
                    "their own terms (see Training data).")
    return "\n\n".join(sections) + "\n"
