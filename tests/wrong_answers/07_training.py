"Typical mistakes for the Practice of 07_training: each must make its exercise's check fail with the given fragment."
WRONG = {
    # forgot the log of the row sum
    1: ('''return x - x.exp().sum(-1, keepdim=True)''', 'differ by more than'),
    # forgot to average over the rows
    2: ('''return log_softmax(logits).exp() - F.one_hot(targ, logits.shape[1])''', 'differ by more than'),
    # the mean over the whole (n, k) table instead of asking whether any of a row's k classes matches
    3: ('''best = logits.topk(k, dim=1).indices\nreturn (best == targ[:, None]).float().mean()''',
        'top_k_accuracy(logits, targ, 2) differs by'),
    # plain SGD: no momentum
    4: ('''p3 = p0 - lr * gs.sum(0)''', 'elements differ'),
    # the log of the probability, without the minus sign
    5: ('''predicted_loss = math.log(1 / 10)''', 'differs by'),
}
