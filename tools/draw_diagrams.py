"""Draw the course's diagrams into images/ (run from the repository root: python tools/draw_diagrams.py).

images/forward_backward.png: the forward pass of the two-layer model (left to right, top row) and the
backward pass (right to left, bottom row), with the gradient each step stores in `.g`.
"""
from pathlib import Path

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

IMAGES = Path(__file__).resolve().parent.parent / 'images'


def box(ax, x, y, text, color, w=1.5, h=0.62):
    "A rounded box centred at (x, y) with `text` in it."
    ax.add_patch(FancyBboxPatch((x - w/2, y - h/2), w, h, boxstyle='round,pad=0.02,rounding_size=0.12',
                                fc=color, ec='#333333', lw=1.2))
    ax.text(x, y, text, ha='center', va='center', fontsize=11, family='monospace')


def arrow(ax, start, end, color, text=None, above=True):
    "An arrow from `start` to `end`, labelled with `text` above or below its middle."
    ax.annotate('', xy=end, xytext=start, arrowprops=dict(arrowstyle='-|>', color=color, lw=1.8, mutation_scale=16))
    if text:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx, my + (0.18 if above else -0.2), text, ha='center', va='bottom' if above else 'top',
                fontsize=10, color=color, family='monospace')


def forward_backward(path):
    "Forward pass on top (blue), backward pass below (orange), the gradients of the parameters under each layer."
    fig, ax = plt.subplots(figsize=(12, 4.6))
    steps = ['lin(w1, b1)', 'relu', 'lin(w2, b2)', 'mse(·, y)']
    values = ['x', 'l1', 'l2', 'out', 'loss']
    grads = ['x.g', 'l1.g', 'l2.g', 'out.g', '']
    param_grads = ['w1.g, b1.g', '', 'w2.g, b2.g', '']
    xs = [1.5 + 2.6 * i for i in range(len(steps))]
    fy, by = 2.6, 0.9
    for i, (x, s) in enumerate(zip(xs, steps)):
        box(ax, x, fy, s, '#dbe8f6')
        box(ax, x, by, s.split('(')[0] + "'", '#fbe3cf')
        if param_grads[i]: ax.text(x, by - 0.55, param_grads[i], ha='center', va='top', fontsize=10, color='#b35900', family='monospace')
    half = 0.78
    ends = [xs[0] - 1.7] + xs + [xs[-1] + 1.7]
    for i in range(len(steps) + 1):
        left, right = ends[i] + (half if i else 0), ends[i + 1] - (half if i < len(steps) else 0)
        mid = (left + right) / 2
        arrow(ax, (left, fy), (right, fy), '#1f5fa8')
        ax.text(mid, fy + 0.15, values[i], ha='center', va='bottom', fontsize=10, color='#1f5fa8', family='monospace')
        if i < len(steps):
            arrow(ax, (right, by), (left, by), '#b35900')
            ax.text(mid, by + 0.15, grads[i], ha='center', va='bottom', fontsize=10, color='#b35900', family='monospace')
    for x in xs:  # the backward step reads what the forward step saw
        ax.annotate('', xy=(x, by + 0.33), xytext=(x, fy - 0.33),
                    arrowprops=dict(arrowstyle='-|>', color='#888888', lw=1, ls='--', mutation_scale=12))
    ax.text(xs[0] + 0.08, (fy + by) / 2, 'inputs saved\nin the forward pass', fontsize=8, color='#777777', va='center')
    arrow(ax, (ends[-1], fy - 0.2), (xs[-1] + half + 0.05, by + 0.15), '#b35900')
    ax.text(ends[-1] - 0.1, (fy + by) / 2 - 0.1, 'start here:\nd loss / d loss = 1', ha='left', va='center', fontsize=9, color='#b35900')
    ax.text(0.2, fy + 0.75, 'forward: compute and keep every intermediate result', fontsize=11, color='#1f5fa8')
    ax.text(0.2, by - 1.05, "backward: each step turns the gradient of its output into the gradient of its inputs (chain rule)",
            fontsize=11, color='#b35900')
    ax.set_xlim(-0.3, xs[-1] + 2.9); ax.set_ylim(-0.5, 3.6); ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == '__main__':
    IMAGES.mkdir(exist_ok=True)
    forward_backward(IMAGES / 'forward_backward.png')
    print('wrote', IMAGES / 'forward_backward.png')
