"Typical mistakes for the Practice of 08_conv: the code replaces the solution, the fragment must be in the check's message."
WRONG = {
    # the span of a dilated kernel taken as dilation * kernel: one pixel too many
    1: ('''return (size + 2 * padding - dilation * kernel) // stride + 1''', 'is not right'),
    # a true convolution, with the kernel flipped, instead of the cross-correlation conv2d computes
    2: ('''out[img, ker, i, j] = (x[img, :, i:i + kh, j:j + kw] * w[ker].flip(-2, -1)).sum()''', 'elements differ'),
    # pixels read as rows of C values from the wrong memory layout: reshape is not transpose
    3: ('''return (x.reshape(n, h * wd, c) @ w.reshape(w.shape[0], c).t()).reshape(n, -1, h, wd)''', 'elements differ'),
    # the number of positions across counted without the padding
    4: ('''unfold_shape = (2, 18, 20)''', 'unfold_shape is not right (you gave (2, 18, 20))'),
    # the fan-in taken as the number of input channels, as for a linear layer
    5: ('''fan_in = 16''', 'fan_in is not right (you gave 16)'),
    # unfold's rows read as kernel position first, channel second: they come channel by channel
    6: ('''n, c, h, wd = x.shape
kh, kw = w.shape[1:]
cols = F.unfold(x, (kh, kw)).reshape(n, kh * kw, c, -1).transpose(1, 2)
out = (cols * w.reshape(c, kh * kw, 1)).sum(2)
return out.reshape(n, c, h - kh + 1, wd - kw + 1)''', 'elements differ'),
}
