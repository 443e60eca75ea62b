"""The course's performance table: speed and memory ratios, all measured in one run on this machine.

Usage: python bench/run.py [--rounds N]   (or `make bench`)

Prints the machine, then a markdown table, and writes the same figures to bench/results.json.
Each row group is a small function that takes the shared context and returns rows; to add a
comparison (the matmul ladder, conv, NumPy...), write one more function and list it in ROW_GROUPS.
Ratios are "ours / reference": below 1.0 means ours is faster or smaller.
"""
import argparse, functools, json, os, platform, statistics, sys, time
from pathlib import Path

import torch

from exp.core import bench, def_device, set_seed
from exp.data import get_data, normalize
from exp.init import kaiming_init, xavier_init
from exp.backward import lin, mse, relu
from exp.refactor import Model, peak_memory

HERE = Path(__file__).resolve().parent


def cpu_model():
    "The CPU's model name, from /proc/cpuinfo on Linux, else what `platform` knows."
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()


def machine_info():
    "What the figures depend on: CPU, cores, torch threads and version, the device used."
    return {'cpu': cpu_model(), 'cores': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'torch': torch.__version__, 'python': platform.python_version(), 'device': str(def_device),
            'gpu': torch.cuda.get_device_name() if def_device.type == 'cuda' else None,
            'date': time.strftime('%Y-%m-%d %H:%M:%S')}


class Context:
    "Inputs shared by the row groups, loaded on first use."
    def __init__(self, rounds): self.rounds = rounds

    @functools.cached_property
    def train(self):
        "The normalised training set on `def_device`, with the labels as float targets."
        x, y, _, _ = get_data()
        x = normalize(x, x.mean(), x.std())
        return x.to(def_device), y.float().to(def_device)


def row(group, name, ours, reference, unit, target, ratio=None):
    "One line of the table: the two measurements, their ratio (ours / reference unless given), and whether it meets the target."
    ratio = ours / reference if ratio is None else ratio
    return {'group': group, 'name': name, 'ours': ours, 'reference': reference, 'unit': unit,
            'ratio': ratio, 'target': target, 'met': None if target is None else ratio <= target}


def interleaved_ratio(f, g, rounds, n=3):
    "Median over `rounds` of bench(f)/bench(g), the two timed back to back so that both see the same load."
    pairs = [(bench(f, n=n).median, bench(g, n=n).median) for _ in range(rounds)]
    ratio = statistics.median(a / b for a, b in pairs)
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs), ratio


def backward_vs_autograd(ctx):
    "exp.refactor.Model's hand-written backward against autograd computing the same five gradients (784 -> 50 -> 1)."
    group = 'backward, full training set (50000 x 784 -> 50 -> 1), ours vs autograd'
    x, y = ctx.train
    n_in, nh = x.shape[1], 50
    set_seed(42)
    params = [kaiming_init(n_in, nh, device=def_device), torch.zeros(nh, device=def_device),
              xavier_init(nh, 1, device=def_device), torch.zeros(1, device=def_device)]
    x = x.clone()
    model = Model(*params)
    model(x, y)

    leaves = [t.clone().requires_grad_() for t in [x, *params]]
    loss = mse(lin(relu(lin(leaves[0], leaves[1], leaves[2])), leaves[3], leaves[4]), y)
    def autograd_backward():
        for t in leaves: t.grad = None  # what optimizer.zero_grad() does by default
        loss.backward(retain_graph=True)

    def clear():
        for t in [x, *params]: t.g = None
    def fresh_backward():
        clear()
        model.backward()

    model.backward(); autograd_backward()
    for t, leaf in zip([x, *params], leaves):  # same gradients, or the timing means nothing
        torch.testing.assert_close(t.g, leaf.grad, rtol=1e-4, atol=1e-6)

    hand_t, auto_t, ratio = interleaved_ratio(model.backward, autograd_backward, ctx.rounds)
    fresh_t, auto_t2, fresh_ratio = interleaved_ratio(fresh_backward, autograd_backward, ctx.rounds)
    clear()
    for t in leaves: t.grad = None
    hand_mem, auto_mem = peak_memory(model.backward), peak_memory(autograd_backward)
    return [
        row(group, 'time, gradient buffers reused (steady state)', hand_t, auto_t, 's', 1.0, ratio),
        row(group, 'time, fresh gradient buffers every call', fresh_t, auto_t2, 's', 1.0, fresh_ratio),
        row(group, 'peak memory, from no gradients', hand_mem, auto_mem, 'bytes', 1.0),
    ]


ROW_GROUPS = [backward_vs_autograd]


def fmt(value, unit):
    "A measurement in readable units."
    if unit == 's': return f"{value * 1e3:.1f} ms"
    if unit == 'bytes': return f"{value / 1e6:.1f} MB"
    return f"{value:.3g} {unit}"


def markdown(info, rows):
    "The machine as a list, then one table row per measurement."
    lines = [f"- {k}: {v}" for k, v in info.items() if v is not None] + ['']
    lines += ['| group | measurement | ours | reference | ratio | target | met |', '|---|---|---|---|---|---|---|']
    for r in rows:
        target = '' if r['target'] is None else f"<= {r['target']:.2f}x"
        met = '' if r['met'] is None else ('yes' if r['met'] else 'no')
        lines.append(f"| {r['group']} | {r['name']} | {fmt(r['ours'], r['unit'])} | {fmt(r['reference'], r['unit'])} "
                     f"| {r['ratio']:.3f}x | {target} | {met} |")
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=7, help='rounds of interleaved timing per ratio (median taken)')
    args = parser.parse_args()
    info, ctx = machine_info(), Context(args.rounds)
    rows = [r for group in ROW_GROUPS for r in group(ctx)]
    print(markdown(info, rows))
    (HERE / 'results.json').write_text(json.dumps({'machine': info, 'rows': rows}, indent=2) + '\n')
    print(f"\nwrote {HERE / 'results.json'}", file=sys.stderr)


if __name__ == '__main__':
    main()
