def check_grads(*a, **k): raise NotImplementedError
