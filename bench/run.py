"""The course's performance table: speed and memory ratios, all measured in one run on this machine.

Usage: python bench/run.py [--rounds N] [--only GROUP ...]   (or `make bench`)

Prints the machine, then a markdown table, and writes the same figures to bench/results.json.
Each row group is a small function that takes the shared context and returns rows; to add a
comparison, write one more function and list it in ROW_GROUPS.
Ratios are "ours / reference": below 1.0 means ours is faster or smaller.
"""
import argparse, functools, json, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import torch
from torch import nn

from exp.core import bench, def_device, set_seed
from exp.data import get_data, normalize
from exp.matmul import matmul_loops, matmul_dot
from exp.broadcasting import matmul_broadcast, matmul_einsum
from exp.init import kaiming_init, xavier_init
from exp.backward import forward_and_backward, lin, mse, relu
from exp.refactor import Model, peak_memory
from exp.conv import Conv2d, get_cnn
from exp.conv_backward import ConvLayer, conv2d_function, conv2d_recompute, conv2d_offsets
import exp.numpy_nn as npnn
from exp.activations import get_deep_cnn
from exp.batchnorm import BatchNorm
import exp.autograd as ag

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEST_BUDGET = 15 * 60  # seconds that `make test` may take on 2 cores


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
    def data(self):
        "Train and valid images normalised with the training statistics, labels as they come, on the CPU."
        x_train, y_train, x_valid, y_valid = get_data()
        m, s = x_train.mean(), x_train.std()
        return normalize(x_train, m, s), y_train, normalize(x_valid, m, s), y_valid


def row(group, name, ours, reference, unit, target=None, ratio=None):
    "One line of the table: the two measurements, their ratio (ours / reference unless given), and whether it meets the target."
    ratio = ours / reference if ratio is None else ratio
    return {'group': group, 'name': name, 'ours': ours, 'reference': reference, 'unit': unit,
            'ratio': ratio, 'target': target, 'met': None if target is None else ratio <= target}


def interleaved_ratio(f, g, rounds, n=3):
    "Median over `rounds` of bench(f)/bench(g), the two timed back to back so that both see the same load."
    pairs = [(bench(f, n=n).median, bench(g, n=n).median) for _ in range(rounds)]
    ratio = statistics.median(a / b for a, b in pairs)
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs), ratio


def one_thread(f):
    "Run `f` with PyTorch on one CPU thread, restoring the thread count afterwards."
    @functools.wraps(f)
    def _inner(*args):
        n_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try: return f(*args)
        finally: torch.set_num_threads(n_threads)
    return _inner


@one_thread
def matmul_ladder(ctx):
    "notebooks 02-03: every matmul of the course on the chapter's problem, against `@`, on one CPU thread."
    group = 'matmul ladder, 5x784 @ 784x10, one CPU thread, version vs @'
    set_seed(42)
    xb, wb = ctx.data[2][:5], kaiming_init(784, 10, device='cpu')
    versions = {'three loops (matmul_loops)': (matmul_loops, 3), 'two loops (matmul_dot)': (matmul_dot, 10),
                'one loop (matmul_broadcast)': (matmul_broadcast, 50), 'einsum (matmul_einsum)': (matmul_einsum, 200)}
    t_ref = bench(torch.matmul, xb, wb, n=200).median
    rows = []
    for name, (f, n) in versions.items():
        torch.testing.assert_close(f(xb, wb), xb @ wb, rtol=1e-4, atol=1e-5)
        rows.append(row(group, name, bench(f, xb, wb, n=n).median, t_ref, 's'))
    return rows


def matmul_peak(ctx):
    "notebook 03: GFLOP/s of `@` on square products as they grow, as a fraction of the best size in this run."
    group = f'@ on n x n float32 matrices, {torch.get_num_threads()} threads, GFLOP/s vs the best size'
    speed = {}
    for n in (64, 256, 1024, 2048):
        a, b = torch.randn(n, n, device=def_device), torch.randn(n, n, device=def_device)
        speed[n] = 2 * n**3 / bench(torch.matmul, a, b, n=30 if n < 1024 else 5).median / 1e9
    best = max(speed.values())
    return [row(group, f'n = {n}', s, best, 'GFLOP/s') for n, s in speed.items()]


def backward_vs_autograd(ctx):
    "notebook 06: exp.refactor.Model's hand-written backward against autograd computing the same five gradients."
    group = 'backward of Model, 50000x784 -> 50 -> 1, ours vs autograd'
    x, y = ctx.data[0].to(def_device), ctx.data[1].float().to(def_device)
    n_in, nh = x.shape[1], 50
    set_seed(42)
    params = [kaiming_init(n_in, nh, device=def_device), torch.zeros(nh, device=def_device),
              xavier_init(nh, 1, device=def_device), torch.zeros(1, device=def_device)]
    model = Model(*params)
    model(x, y)

    leaves = [t.clone().requires_grad_() for t in [x, *params]]
    loss = mse(lin(relu(lin(leaves[0], leaves[1], leaves[2])), leaves[3], leaves[4]), y)
    def autograd_fresh():
        for t in leaves: t.grad = None  # what optimizer.zero_grad() does by default
        loss.backward(retain_graph=True)
    def autograd_adding():
        loss.backward(retain_graph=True)  # adds into the .grad already there

    def clear():
        for t in [x, *params]: t.g = None
    def hand_fresh():
        clear()
        model.backward()

    hand_fresh(); autograd_fresh()
    for t, leaf in zip([x, *params], leaves):  # same gradients, or the timing means nothing
        torch.testing.assert_close(t.g, leaf.grad, rtol=1e-4, atol=1e-6)

    fresh_t, auto_fresh_t, fresh_ratio = interleaved_ratio(hand_fresh, autograd_fresh, ctx.rounds)
    add_t, auto_add_t, add_ratio = interleaved_ratio(model.backward, autograd_adding, ctx.rounds)
    clear()
    for t in leaves: t.grad = None
    hand_mem, auto_mem = peak_memory(model.backward), peak_memory(autograd_fresh)
    return [
        row(group, 'time, from no gradients (as after zero_grad): the same kernels, a tie', fresh_t, auto_fresh_t, 's', ratio=fresh_ratio),
        row(group, 'time, adding into the gradients already there', add_t, auto_add_t, 's', ratio=add_ratio),
        row(group, 'peak memory, from no gradients', hand_mem, auto_mem, 'bytes', 1.0),
    ]


def cnn_rows(ctx, group, layer, targets=(None, None, None)):
    "The CNN of notebook 08 built from `layer` against the same CNN built from nn.Conv2d: forward, forward + backward, peak memory."
    set_seed(42)
    ours = get_cnn(layer).to(def_device)
    twin = get_cnn(nn.Conv2d).to(def_device)
    twin.load_state_dict(ours.state_dict())
    xb = ctx.data[2][:256].reshape(-1, 1, 28, 28).to(def_device)
    torch.testing.assert_close(ours(xb), twin(xb), rtol=1e-4, atol=1e-4)

    def forward(net):
        with torch.no_grad(): net(xb)
    def forward_backward(net):
        net.zero_grad()
        net(xb).sum().backward()
    forward_backward(ours); forward_backward(twin)  # creates the gradients, so both start the same way

    rows = []
    for name, f, target in zip(['time, forward (no autograd)', 'time, forward + backward'], [forward, forward_backward], targets):
        t_ours, t_ref, ratio = interleaved_ratio(lambda: f(ours), lambda: f(twin), ctx.rounds, n=5)
        rows.append(row(group, name, t_ours, t_ref, 's', target, ratio=ratio))
    mem_ours, mem_ref = peak_memory(forward_backward, ours), peak_memory(forward_backward, twin)
    rows.append(row(group, 'peak memory, forward + backward', mem_ours, mem_ref, 'bytes', targets[2]))
    return rows


def conv_vs_reference(ctx):
    "notebook 08: the course's CNN built from exp.conv.Conv2d against the same CNN built from nn.Conv2d."
    return cnn_rows(ctx, "CNN of notebook 08 on 256 images, conv2d (unfold) vs F.conv2d", Conv2d)


# notebook 10's convolutions, each with the targets (forward, forward + backward, peak memory) it is held to;
# the two that build the patch matrix are there to show what the patches cost, so they have none
CONV_BACKWARD_VERSIONS = {
    'conv2d_offsets (no patch matrix)': (conv2d_offsets, (1.5, 2.0, 1.0)),
    'Conv2dFunction (keeps the patches)': (conv2d_function, (None, None, None)),
    'Conv2dRecompute (rebuilds the patches)': (conv2d_recompute, (None, None, None)),
}


def conv_backward_vs_reference(ctx):
    "notebook 10: the CNN of notebook 08 built from each hand-written convolution of exp.conv_backward, against nn.Conv2d."
    rows = []
    for name, (conv, targets) in CONV_BACKWARD_VERSIONS.items():
        layer = functools.partial(ConvLayer, conv=conv)
        rows += cnn_rows(ctx, f"CNN of notebook 08 on 256 images, {name} vs F.conv2d", layer, targets)
    return rows


def numpy_vs_torch(ctx):
    "notebook 09: the forward and backward pass in NumPy against the same hand-written pass in PyTorch (CPU)."
    group = 'forward + backward, 50000x784 -> 50 -> 1, NumPy vs PyTorch (CPU)'
    x, y = ctx.data[0], ctx.data[1].float()
    set_seed(42)
    w1, b1, w2, b2 = kaiming_init(784, 50, device='cpu'), torch.zeros(50), xavier_init(50, 1, device='cpu'), torch.zeros(1)
    model = npnn.Model(*(t.numpy() for t in (w1, b1, w2, b2)))
    xn, yn = x.numpy(), y.numpy()
    def numpy_pass(): model(xn, yn); model.backward()
    def torch_pass(): forward_and_backward(x, y, w1, b1, w2, b2)
    numpy_pass(); torch_pass()
    torch.testing.assert_close(torch.from_numpy(model.grads['w1']), w1.g, rtol=1e-3, atol=1e-5)
    t_np, t_pt, ratio = interleaved_ratio(numpy_pass, torch_pass, ctx.rounds)
    return [row(group, 'time', t_np, t_pt, 's', ratio=ratio)]


def autograd_vs_torch(ctx):
    "notebook 11: one training step (forward, backward, SGD update) of 07's MLP with exp.autograd against torch.autograd."
    group = "training step of 07's MLP 784 -> 50 -> 10 (cross-entropy, SGD), exp.autograd vs torch.autograd"
    x, y = ctx.data[0].to(def_device), ctx.data[1].to(def_device)
    set_seed(42)
    params = [kaiming_init(784, 50, device=def_device), torch.zeros(50, device=def_device),
              xavier_init(50, 10, device=def_device), torch.zeros(10, device=def_device)]
    ours = [ag.Tensor(p.clone(), requires_grad=True) for p in params]
    theirs = [p.clone().requires_grad_() for p in params]   # the images need no gradient in either
    lr = 0.01
    def step_ours(xb, yb):
        w1, b1, w2, b2 = ours
        ag.cross_entropy((xb @ w1 + b1).relu() @ w2 + b2, yb).backward()
        for p in ours:
            p.data.sub_(lr * p.grad); p.grad = None
    def step_torch(xb, yb):
        w1, b1, w2, b2 = theirs
        nn.functional.cross_entropy((xb @ w1 + b1).relu() @ w2 + b2, yb).backward()
        with torch.no_grad():
            for p in theirs:
                p.sub_(lr * p.grad); p.grad = None
    step_ours(x, y); step_torch(x, y)   # the same step, or the timing means nothing
    for a, b in zip(ours, theirs): torch.testing.assert_close(a.data, b.detach(), rtol=1e-4, atol=1e-5)

    rows = []
    for n, label, target in ((len(x), f'{len(x):,} rows at once', 1.15), (64, 'a minibatch of 64 rows', 2.0)):
        xb, yb = x[:n], y[:n]
        t_ours, t_ref, ratio = interleaved_ratio(lambda: step_ours(xb, yb), lambda: step_torch(xb, yb), ctx.rounds,
                                                 n=3 if n > 1000 else 50)
        rows.append(row(group, f'time, {label}', t_ours, t_ref, 's', target, ratio=ratio))
    mem_ours, mem_ref = peak_memory(step_ours, x, y), peak_memory(step_torch, x, y)
    rows.append(row(group, f'peak memory, {len(x):,} rows at once', mem_ours, mem_ref, 'bytes', 1.10))
    return rows

def batchnorm_vs_reference(ctx):
    "notebook 13: BatchNorm (BatchNormFunction, hand-written backward) against nn.BatchNorm2d: the layer alone, and a training step of 12's deep CNN."
    group = 'BatchNorm (BatchNormFunction) vs nn.BatchNorm2d, training mode'
    set_seed(42)
    x = torch.randn(256, 32, 14, 14, device=def_device)
    g = torch.randn_like(x)
    ours, ref = BatchNorm(32).to(def_device), nn.BatchNorm2d(32).to(def_device)
    def forward_backward(layer):
        layer(x.detach().requires_grad_()).backward(g)   # a fresh leaf each time: its gradient is freed with it
    xa, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a, out_r = ours(xa), ref(xr)
    torch.testing.assert_close(out_a, out_r, rtol=1e-4, atol=1e-4)   # the same results, or the timing means nothing
    out_a.backward(g); out_r.backward(g)
    torch.testing.assert_close(xa.grad, xr.grad, rtol=1e-4, atol=1e-4)

    set_seed(42)
    net_ours = get_deep_cnn(norm=BatchNorm, layer=nn.Conv2d).to(def_device)
    net_ref = get_deep_cnn(norm=nn.BatchNorm2d, layer=nn.Conv2d).to(def_device)
    net_ref.load_state_dict(net_ours.state_dict())
    xb, yb = ctx.data[2][:64].reshape(-1, 1, 28, 28).to(def_device), ctx.data[3][:64].to(def_device)
    def train_step(net, opt):
        opt.zero_grad()
        nn.functional.cross_entropy(net(xb), yb).backward()
        opt.step()
    opts = [torch.optim.SGD(n.parameters(), lr=0.01) for n in (net_ours, net_ref)]

    t_ours, t_ref, ratio = interleaved_ratio(lambda: forward_backward(ours), lambda: forward_backward(ref), ctx.rounds, n=5)
    mem_ours, mem_ref = peak_memory(forward_backward, ours), peak_memory(forward_backward, ref)
    s_ours, s_ref, s_ratio = interleaved_ratio(lambda: train_step(net_ours, opts[0]), lambda: train_step(net_ref, opts[1]), ctx.rounds, n=5)
    # the same on one thread: ours runs eleven operations, each its own parallel region, where PyTorch runs two kernels
    t1_ours, t1_ref, ratio1 = one_thread(interleaved_ratio)(lambda: forward_backward(ours), lambda: forward_backward(ref), ctx.rounds, 5)
    return [row(group, 'time, forward + backward, 256x32x14x14', t_ours, t_ref, 's', 2.0, ratio=ratio),
            row(group, 'time, forward + backward, 256x32x14x14, one thread', t1_ours, t1_ref, 's', ratio=ratio1),
            row(group, 'peak memory, forward + backward, 256x32x14x14', mem_ours, mem_ref, 'bytes', 1.2),
            row(group, "time, a training step of notebook 12's deep CNN (8 convs, 64 images)", s_ours, s_ref, 's', ratio=s_ratio)]


def course_times(ctx):
    "Every notebook run top to bottom as `make course` runs it (in a fresh process), against the total and the budget."
    group = "the course: each notebook's run time as a share of the total"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / 'course.json'
        done = subprocess.run([sys.executable, str(ROOT / 'tools' / 'run_course.py'), '--json', str(out)],
                              cwd=ROOT, capture_output=True, text=True)
        if not out.exists(): raise RuntimeError(f"running the notebooks failed:\n{done.stdout}\n{done.stderr}")
        results = json.loads(out.read_text())
    failed = [r['notebook'] for r in results if not r['passed']]
    if failed: raise RuntimeError(f"notebooks failed: {', '.join(failed)}\n{done.stdout[-5000:]}")
    total = sum(r['seconds'] for r in results)
    rows = [row(group, r['notebook'], r['seconds'], total, 's') for r in results]
    rows.append(row(group, 'all notebooks, vs the 15-minute budget of `make test`', total, TEST_BUDGET, 's', 1.0))
    return rows


ROW_GROUPS = [matmul_ladder, matmul_peak, backward_vs_autograd, conv_vs_reference, conv_backward_vs_reference,
              numpy_vs_torch, autograd_vs_torch, batchnorm_vs_reference, course_times]


def fmt(value, unit):
    "A measurement in readable units."
    if unit == 's':
        if value < 1e-3: return f"{value * 1e6:.1f} µs"
        return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.1f} s"
    if unit == 'bytes': return f"{value / 2**20:.1f} MiB"
    return f"{value:.3g} {unit}"


def fmt_ratio(ratio):
    "Large ratios to whole numbers, small ones to three decimals."
    if ratio >= 100: return f"{ratio:,.0f}x"
    return f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.3f}x"


def markdown(info, rows):
    "The machine as a list, then one table with a bold line per group."
    lines = [f"- {k}: {v}" for k, v in info.items() if v is not None] + ['']
    lines += ['| measurement | ours | reference | ratio | target | met |', '|---|---:|---:|---:|---:|---|']
    group = None
    for r in rows:
        if r['group'] != group:
            group = r['group']
            lines.append(f"| **{group}** | | | | | |")
        target = '' if r['target'] is None else f"<= {r['target']:.2f}x"
        met = '' if r['met'] is None else ('yes' if r['met'] else '**no**')
        lines.append(f"| {r['name']} | {fmt(r['ours'], r['unit'])} | {fmt(r['reference'], r['unit'])} "
                     f"| {fmt_ratio(r['ratio'])} | {target} | {met} |")
    return '\n'.join(lines)


def slowest(rows, k=3):
    "The `k` notebooks that take longest, as 'name (seconds)'."
    nbs = sorted((r for r in rows if r['name'].endswith('.ipynb')), key=lambda r: -r['ours'])
    return [f"{r['name']} ({r['ours']:.0f} s)" for r in nbs[:k]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5, help='rounds of interleaved timing per ratio (median taken)')
    parser.add_argument('--only', nargs='*', choices=[g.__name__ for g in ROW_GROUPS], help='run only these row groups')
    args = parser.parse_args()
    groups = [g for g in ROW_GROUPS if not args.only or g.__name__ in args.only]
    info, ctx, start = machine_info(), Context(args.rounds), time.perf_counter()
    rows = []
    for g in groups:
        print(f"measuring {g.__name__} ...", file=sys.stderr, flush=True)
        rows += g(ctx)
    info['bench_seconds'] = round(time.perf_counter() - start)
    print(markdown(info, rows))
    if slow := slowest(rows): print(f"\nslowest notebooks: {', '.join(slow)}")
    missed = [f"{r['group']}: {r['name']}" for r in rows if r['met'] is False]
    (HERE / 'results.json').write_text(json.dumps({'machine': info, 'rows': rows, 'slowest': slow, 'missed': missed}, indent=2) + '\n')
    print(f"\nwrote {HERE / 'results.json'}", file=sys.stderr)
    if missed: print('\nmissed targets:\n' + '\n'.join(missed))


if __name__ == '__main__':
    main()
