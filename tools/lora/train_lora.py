#!/usr/bin/env python3
"""Reference LoRA training command for Baton's lora_train worker on a real GPU host.

Hugging Face transformers + peft. It speaks the same contract as Baton's tiny tfjs trainer
(workers/lib/ml/tiny-lora-cli.ts), so lora_train drives either one the same way:

  * reads a JSONL dataset (text, prompt/completion, alpaca instruction/output, or messages);
  * appends one JSON line per optimizer step to --progress:
        {"step": 12, "loss": 1.234, "lr": 0.0002, "max_steps": 500, "epoch": 0.4, "ts": 1733.0}
  * writes adapter_model.safetensors and adapter_config.json (peft's save_pretrained) into
    --output-dir;
  * exits 0 on success, 2 on bad arguments or a dataset with no usable example, 1 otherwise (a
    traceback containing "CUDA out of memory" is reported by lora_train as OOM).

Checkpoints go to <output-dir>/../checkpoints (every --save-steps steps, newest two kept). When
it is started again in the same job directory (lora_train relaunches a job it found lost), it
resumes from the newest checkpoint instead of starting over.

Not run by Baton's tests (they need torch, a GPU and model weights from a hub); see
workers/lib/ml/README.md for installing it on a host and the lora_train input that runs it.

Example (what lora_train's `command` template expands to):
  python3 train_lora.py --dataset JOB/dataset.jsonl --output-dir JOB/output \
      --progress JOB/progress.jsonl --base-model Qwen/Qwen2.5-0.5B-Instruct --steps 500 \
      --r 16 --alpha 32 --dropout 0.05 --lr 2e-4 --batch 4 --seed 42 --target-modules q_proj,v_proj
"""
import argparse
import json
import math
import os
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", required=True, help="JSONL training data")
    p.add_argument("--output-dir", required=True, help="where the adapter files go")
    p.add_argument("--progress", required=True, help="JSONL progress file, one line per step (appended)")
    p.add_argument("--base-model", required=True, help="hub id or local directory of the base model")
    p.add_argument("--revision", default=None, help="the base model's revision (hub branch, tag or commit)")
    p.add_argument("--format", default="auto", choices=["auto", "text", "prompt_completion", "alpaca", "messages"])
    p.add_argument("--steps", type=int, default=100, help="optimizer steps (max_steps)")
    p.add_argument("--r", type=int, default=16)
    p.add_argument("--alpha", type=float, default=32)
    p.add_argument("--dropout", type=float, default=0.05)
    p.add_argument("--target-modules", default="auto", help="comma-separated module names, or auto (peft's default for the architecture)")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--batch", type=int, default=4, help="per-device batch size")
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--max-length", type=int, default=1024, help="tokens per example (longer ones are truncated)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--save-steps", type=int, default=100)
    p.add_argument("--warmup-ratio", type=float, default=0.03)
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp16", "fp32"])
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--load-in-4bit", action="store_true", help="QLoRA (needs bitsandbytes)")
    return p.parse_args(argv)


def detect_format(rec):
    if "messages" in rec:
        return "messages"
    if "prompt" in rec and "completion" in rec:
        return "prompt_completion"
    if "instruction" in rec:
        return "alpaca"
    if "text" in rec:
        return "text"
    return None


def read_dataset(path, fmt):
    """Valid records and the numbers of the bad lines (lora_train has already filtered them;
    this is for running the script by hand)."""
    records, bad = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                bad.append(n)
                continue
            got = detect_format(rec) if isinstance(rec, dict) else None
            if got is None or (fmt != "auto" and got != fmt):
                bad.append(n)
                continue
            fmt = got
            records.append(rec)
    return records, fmt, bad


def split_example(rec, fmt, tokenizer):
    """(prompt, completion) text: the loss is taken on the completion only (on all of it for text)."""
    eos = tokenizer.eos_token or ""
    if fmt == "text":
        return "", rec["text"] + eos
    if fmt == "alpaca":
        prompt = rec["instruction"] + ("\n\n" + rec["input"] if rec.get("input") else "") + "\n\n"
        return prompt, rec["output"] + eos
    if fmt == "prompt_completion" and isinstance(rec["prompt"], str):
        return rec["prompt"], rec["completion"] + eos
    msgs = rec["messages"] if fmt == "messages" else rec["prompt"] + rec["completion"]
    history, last = msgs[:-1], msgs[-1]
    if getattr(tokenizer, "chat_template", None):
        prompt = tokenizer.apply_chat_template(history, tokenize=False, add_generation_prompt=True)
    else:
        prompt = "".join(f"{m['role']}: {m['content']}\n" for m in history) + "assistant: "
    return prompt, last["content"] + eos


def tokenize(records, fmt, tokenizer, max_length):
    out = []
    for rec in records:
        prompt, completion = split_example(rec, fmt, tokenizer)
        p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"] if prompt else []
        c_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        ids = (p_ids + c_ids)[:max_length]
        labels = ([-100] * len(p_ids) + c_ids)[:max_length]
        if any(l != -100 for l in labels):
            out.append({"input_ids": ids, "labels": labels})
    return out


def newest_checkpoint(ckpt_dir):
    if not os.path.isdir(ckpt_dir):
        return None
    steps = [(int(d.split("-")[1]), d) for d in os.listdir(ckpt_dir) if d.startswith("checkpoint-") and d.split("-")[1].isdigit()]
    return os.path.join(ckpt_dir, max(steps)[1]) if steps else None


def main(argv):
    a = parse_args(argv)
    records, fmt, bad = read_dataset(a.dataset, a.format)
    print(f"dataset: {len(records)} examples ({fmt}), {len(bad)} invalid lines {bad[:20]}", flush=True)
    if not records:
        print("the dataset has no valid example", file=sys.stderr)
        return 2

    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainerCallback, TrainingArguments, set_seed

    set_seed(a.seed)
    tokenizer = AutoTokenizer.from_pretrained(a.base_model, revision=a.revision)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    precision = a.precision
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else ("fp16" if torch.cuda.is_available() else "fp32")
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]
    load = {"revision": a.revision, "torch_dtype": dtype}
    if a.load_in_4bit:
        from transformers import BitsAndBytesConfig

        load["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype)
    model = AutoModelForCausalLM.from_pretrained(a.base_model, **load)
    if a.load_in_4bit:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=a.gradient_checkpointing)
    elif a.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()

    targets = None if a.target_modules == "auto" else [t.strip() for t in a.target_modules.split(",") if t.strip()]
    alpha = int(a.alpha) if float(a.alpha).is_integer() else a.alpha
    config = LoraConfig(r=a.r, lora_alpha=alpha, lora_dropout=a.dropout, target_modules=targets, bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, config)  # raises "Target modules ... not found" on a bad list
    model.print_trainable_parameters()

    train = tokenize(records, fmt, tokenizer, a.max_length)
    print(f"tokenized: {len(train)} examples", flush=True)

    def collate(batch):
        width = max(len(x["input_ids"]) for x in batch)
        pad = tokenizer.pad_token_id
        ids = [x["input_ids"] + [pad] * (width - len(x["input_ids"])) for x in batch]
        labels = [x["labels"] + [-100] * (width - len(x["labels"])) for x in batch]
        mask = [[1] * len(x["input_ids"]) + [0] * (width - len(x["input_ids"])) for x in batch]
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}

    class Progress(TrainerCallback):
        """One JSON line per logged step, in the format lora_train tails."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "loss" not in logs:
                return
            line = {"step": state.global_step, "loss": logs["loss"], "lr": logs.get("learning_rate"), "max_steps": state.max_steps, "epoch": logs.get("epoch"), "grad_norm": logs.get("grad_norm"), "ts": time.time()}
            with open(a.progress, "a", encoding="utf-8") as f:
                # json.dumps writes a NaN loss as a bare NaN: lora_train reads that as diverged
                f.write(json.dumps(line) + "\n")

    ckpt_dir = os.path.join(os.path.dirname(os.path.abspath(a.output_dir)), "checkpoints")
    args = TrainingArguments(
        output_dir=ckpt_dir,
        max_steps=a.steps,
        per_device_train_batch_size=a.batch,
        gradient_accumulation_steps=a.grad_accum,
        learning_rate=a.lr,
        warmup_ratio=a.warmup_ratio,
        logging_steps=1,
        save_steps=a.save_steps,
        save_total_limit=2,
        seed=a.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        report_to="none",
        remove_unused_columns=False,
        gradient_checkpointing=a.gradient_checkpointing and not a.load_in_4bit,
    )
    trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=collate, callbacks=[Progress()])
    resume = newest_checkpoint(ckpt_dir)
    if resume:
        print(f"resuming from {resume}", flush=True)
    result = trainer.train(resume_from_checkpoint=resume)
    loss = result.training_loss
    if loss is not None and not math.isfinite(loss):
        print(f"training loss is {loss}: diverged", file=sys.stderr)
        return 1

    os.makedirs(a.output_dir, exist_ok=True)
    model.save_pretrained(a.output_dir, safe_serialization=True)  # adapter_model.safetensors + adapter_config.json
    print(json.dumps({"done": True, "steps": result.global_step, "train_loss": loss}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
