"Typical mistakes for the Practice of 07_training: each must make its exercise's check fail with the given fragment."
WRONG = {
    # forgot the log of the row sum
    1: ('''return x - x.exp().sum(-1, keepdim=True)''', 'differ by more than'),
    # forgot to average over the rows
    2: ('''return log_softmax(logits).exp() - F.one_hot(targ, logits.shape[1])''', 'differ by more than'),
    # the mean over the whole (n, k) table instead of asking whether any of a row's k classes matches
    3: ('''best = logits.topk(k, dim=1).indices\nreturn (best == targ[:, None]).float().mean()''',
        'top_k_accuracy(logits, targ, 2) differs by'),
    # the learning rate folded into the velocity: the same as SGD only while the rate stays constant
    4: ('''v, p = torch.zeros_like(p0), p0.clone()
for g, rate in zip(gs, lrs):
    v = mom * v + rate * g
    p = p - v
p3 = p''', 'elements differ'),
    # the cosine taken over the whole run, forgetting that it starts after the warm-up
    5: ('''predicted_lr = 0.2 * (1 + math.cos(math.pi * 0.625)) / 2''', 'predicted_lr is not right'),
    # the schedule handed the progress within the epoch instead of within the whole run
    6: ('''def my_sched(t): return 0.1 * min(1., 0.05 + 5 * t) * (1 - t)
steps = math.ceil(len(x_small) / 64)
for epoch in range(2):
    for i, (xs, ys) in enumerate(batches(x_small, y_small, 64, shuffle=True, generator=gen)):
        set_lr(opt, my_sched(i / steps))
        opt.zero_grad()
        crit(net(xs), ys)
        crit.backward(); net.backward()
        opt.step()''', 'the rates of your steps'),
}
