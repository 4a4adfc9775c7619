"""descent.torch as a torch.optim.Optimizer: signatures, groups, gradients re-read, every
unsupported input with its message, and Lion and LAMB against their papers' steps in torch."""
import inspect

import pytest

torch = pytest.importorskip("torch")
import descent  # noqa: E402
import descent.torch as dt  # noqa: E402

TORCH2 = int(torch.__version__.split(".")[0]) >= 2
PEERS = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "NAdam", "RAdam", "Adamax", "Adadelta"]


@pytest.mark.parametrize("name", PEERS)
def test_signature_has_the_running_torchs_arguments_and_defaults(name):
    ours = inspect.signature(getattr(dt, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    for arg, p in theirs.items():
        assert arg in ours, f"{name} lacks torch's argument {arg}"
        if arg == "lr" and repr(p.default) == "<required parameter>":
            continue  # torch 1.13's SGD had no default lr; descent follows torch 2's 1e-3
        if arg == "fused" and {ours[arg].default, p.default} <= {None, False}:
            continue  # torch 1.13's False and 2's None both mean "not asked for"
        if p.default is not inspect.Parameter.empty:
            assert ours[arg].default == p.default, f"{name}({arg}=...): {ours[arg].default} vs torch {p.default}"
        assert ours[arg].kind == p.kind or p.kind == p.KEYWORD_ONLY or arg in ("foreach", "maximize",
                                                                                  "capturable", "differentiable")


def param(*shape, dtype=torch.float64):
    return torch.nn.Parameter(torch.randn(*shape, dtype=dtype))


def test_zero_grad_set_to_none_reallocates_and_the_step_reads_the_new_gradient():
    w = param(4)
    opt = dt.SGD([w], lr=0.5)
    w.grad = torch.ones(4, dtype=torch.float64)
    before = w.detach().clone()
    opt.step()
    opt.zero_grad(set_to_none=True)
    assert w.grad is None
    w.grad = torch.full((4,), 2.0, dtype=torch.float64)  # new storage
    opt.step()
    torch.testing.assert_close(w.detach(), before - 0.5 - 1.0, rtol=0, atol=0)
    w.data = torch.zeros(4, dtype=torch.float64)  # the parameter's storage moves too
    opt.step()
    torch.testing.assert_close(w.detach(), torch.full((4,), -1.0, dtype=torch.float64), rtol=0, atol=0)


def test_groups_hyperparameters_and_add_param_group_are_read_every_step():
    a, b = param(3), param(2)
    opt = dt.SGD([{"params": [a], "lr": 0.1}], lr=1.0)
    a.grad = torch.ones(3, dtype=torch.float64)
    a0 = a.detach().clone()
    opt.step()
    opt.param_groups[0]["lr"] = 0.2
    opt.step()
    torch.testing.assert_close(a.detach(), a0 - 0.3, rtol=0, atol=1e-15)
    opt.add_param_group({"params": [b], "momentum": 0.5})
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[1]["momentum"] == 0.5
    b.grad = torch.ones(2, dtype=torch.float64)
    b0 = b.detach().clone()
    opt.step()
    opt.step()  # momentum buffer: 1, then 1.5
    torch.testing.assert_close(b.detach(), b0 - 2.5, rtol=0, atol=1e-15)
    assert set(opt.state[b]) == {"momentum_buffer"}


def test_closure_is_called_with_grad_enabled_and_its_loss_returned():
    w = param(2)
    opt = dt.Adam([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.requires_grad is True and w.grad is not None


def test_state_is_torch_optims_format_and_writable_like_it():
    w = param(3)
    opt = dt.Adam([w], lr=0.1)
    assert len(opt.state) == 0  # torch.optim: no state before the first step
    w.grad = torch.ones(3, dtype=torch.float64)
    opt.step()
    s = opt.state[w]
    assert list(s) == ["step", "exp_avg", "exp_avg_sq"] and float(s["step"]) == 1.0
    torch.testing.assert_close(s["exp_avg"], torch.full((3,), 0.1, dtype=torch.float64))
    s["exp_avg"].zero_()  # written through the state, as ZeroRedundancyOptimizer does: the next step sees it
    opt.step()
    torch.testing.assert_close(opt.state[w]["exp_avg"], torch.full((3,), 0.1, dtype=torch.float64))
    opt.state.clear()  # a reset: the next step is a first step again
    opt.step()
    assert float(opt.state[w]["step"]) == 1.0


def test_adagrad_has_state_at_construction_as_torch():
    w = param(2)
    ours, theirs = dt.Adagrad([w], initial_accumulator_value=0.5), torch.optim.Adagrad([w], initial_accumulator_value=0.5)
    assert list(ours.state[w]) == list(theirs.state[w]) == ["step", "sum"]
    torch.testing.assert_close(ours.state[w]["sum"], theirs.state[w]["sum"])


def test_load_state_dict_refuses_mismatches_and_changes_nothing():
    w = param(3)
    opt = dt.Adam([w], lr=0.1)
    w.grad = torch.ones(3, dtype=torch.float64)
    opt.step()
    good = opt.state_dict()
    bad = {"state": {0: {"step": torch.tensor(2.0), "exp_avg": torch.zeros(4)}}, "param_groups": good["param_groups"]}
    with pytest.raises(ValueError, match="state 'exp_avg' of parameter 0 .group 0. is not a tensor of the parameter's shape"):
        opt.load_state_dict(bad)
    missing = {"state": {0: {"step": torch.tensor(2.0), "exp_avg": torch.zeros(3)}}, "param_groups": good["param_groups"]}
    with pytest.raises(ValueError, match="parameter 0 .group 0. has no 'exp_avg_sq'"):
        opt.load_state_dict(missing)
    assert float(opt.state[w]["step"]) == 1.0
    two = [param(2), param(2)]
    opt2 = dt.Adam(two)
    state = {"state": {0: {"step": torch.tensor(1.0), "exp_avg": torch.zeros(2), "exp_avg_sq": torch.zeros(2)},
                       1: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(2), "exp_avg_sq": torch.zeros(2)}},
             "param_groups": opt2.state_dict()["param_groups"]}
    opt2.load_state_dict(state)  # torch keeps a step per parameter, and so can descent (test_torch_skip.py)
    assert [float(opt2.state[p]["step"]) for p in two] == [1.0, 3.0]


# Every unsupported input: the error names the parameter and what to do.
@pytest.mark.parametrize("make,message", [
    (lambda: torch.nn.Parameter(torch.zeros(3, device="meta")),
     r"parameter 0 \(group 0, shape \(3,\)\) is on meta; descent steps CPU tensors \(use torch.optim on the GPU\)"),
    (lambda: torch.nn.Parameter(torch.zeros(3, dtype=torch.float16)),
     "has dtype torch.float16; descent steps float32, float64 and bfloat16 tensors"),
    (lambda: torch.nn.Parameter(torch.zeros(3, dtype=torch.complex64)), "has dtype torch.complex64"),
    (lambda: torch.nn.Parameter(torch.zeros(4, 3).t()), r"is not contiguous; make it so .* \(p.data = p.data.contiguous\(\)\)"),
    (lambda: torch.nn.Parameter(torch.zeros(3, 3).to_sparse()), "is torch.sparse_coo; descent steps dense tensors"),
])
def test_unsupported_parameters(make, message):
    with pytest.raises(TypeError, match=message):
        dt.Adam([make()])


def test_cuda_parameters_name_the_device():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here: test_unsupported_parameters checks the same path on the meta device")
    with pytest.raises(TypeError, match="is on cuda:0; descent steps CPU tensors"):
        dt.Adam([torch.nn.Parameter(torch.zeros(3, device="cuda"))])


def test_sparse_gradients_point_to_dense_embeddings():
    emb = torch.nn.Embedding(10, 3, sparse=True).double()
    opt = dt.Adam(emb.parameters())
    emb(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(TypeError, match=r"has a torch.sparse_coo gradient; descent steps dense gradients \(nn.Embedding\(sparse=False\)"):
        opt.step()


def test_non_contiguous_gradients_are_refused():
    # (torch itself refuses a gradient of another dtype, device or shape.)
    w = param(3, 2)
    opt = dt.SGD([w])
    w.grad = torch.zeros(2, 3, dtype=torch.float64).t()
    with pytest.raises(TypeError, match="has a non-contiguous gradient; descent reads gradients in place"):
        opt.step()


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_options_it_cannot_honour_are_refused(flag):
    with pytest.raises(ValueError, match=f"descent.torch.Adam: {flag}=True is not supported"):
        dt.Adam([param(2)], **{flag: True})


def test_foreach_and_fused_are_accepted_and_change_nothing():
    ws = [param(5), param(5)]
    ws[1].data.copy_(ws[0].data)
    for w, kw in zip(ws, [dict(foreach=True, fused=True), dict(foreach=False, fused=False)]):
        opt = dt.Adam([w], lr=0.1, **kw)
        w.grad = torch.ones(5, dtype=torch.float64)
        opt.step()
    torch.testing.assert_close(ws[0], ws[1], rtol=0, atol=0)


@pytest.mark.parametrize("build,message", [
    (lambda p: dt.Adam(p, betas=(1.5, 0.999)), r"descent.torch.Adam: betas\[0\] = 1.5 \(group 0\) is out of range \[0, 1\)"),
    (lambda p: dt.Adam(p, lr=-1.0), r"lr = -1.0 \(group 0\) is out of range \[0, inf\)"),
    (lambda p: dt.RMSprop(p, alpha=1.0), r"descent.torch.RMSprop: alpha = 1.0 \(group 0\) is out of range"),
    (lambda p: dt.SGD(p, momentum=0.0, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
])
def test_bad_hyperparameters_name_torchs_argument(build, message):
    with pytest.raises(ValueError, match=message):
        build([param(2)])


def test_a_bad_hyperparameter_set_later_is_refused_at_the_step():
    w = param(2)
    opt = dt.Adam([w])
    w.grad = torch.ones(2, dtype=torch.float64)
    opt.param_groups[0]["eps"] = -1.0
    with pytest.raises(ValueError, match=r"descent.torch.Adam: eps = -1.0 \(group 0\) is out of range \[0, inf\)"):
        opt.step()


# Lion and LAMB are not in torch.optim: the reference is each paper's step in plain torch.
def lion_reference(w, grads, lr, b1, b2, wd):
    m = torch.zeros_like(w)
    for g in grads:
        c = b1 * m + (1 - b1) * g
        w = w * (1 - lr * wd) - lr * torch.sign(c)
        m = b2 * m + (1 - b2) * g
    return w


def lamb_reference(w, grads, lr, b1, b2, eps, wd):
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        r = (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + eps) + wd * w
        w_norm, r_norm = w.norm(), r.norm()
        trust = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
        w = w - lr * trust * r
    return w


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-13), (torch.float32, 1e-5)])
def test_lion_and_lamb_follow_their_papers(dtype, tol):
    g = torch.Generator().manual_seed(3)
    grads = [torch.randn(6, 5, generator=g, dtype=dtype) for _ in range(20)]
    w0 = torch.randn(6, 5, generator=g, dtype=dtype)
    for cls, ref in [(lambda p: dt.Lion(p, lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1),
                      lambda: lion_reference(w0, grads, 1e-2, 0.9, 0.99, 0.1)),
                     (lambda p: dt.LAMB(p, lr=1e-2, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01),
                      lambda: lamb_reference(w0, grads, 1e-2, 0.9, 0.999, 1e-6, 0.01))]:
        w = torch.nn.Parameter(w0.clone())
        opt = cls([w])
        for gr in grads:
            w.grad = gr.clone()
            opt.step()
        expected = ref()
        assert float((w.detach() - expected).abs().max() / expected.abs().max()) <= tol


def test_it_is_a_torch_optimizer_everywhere_torch_expects_one():
    w = param(2)
    for name in dt.__all__:
        opt = getattr(dt, name)([w])
        assert isinstance(opt, torch.optim.Optimizer)
        assert "lr" in opt.param_groups[0] and opt.defaults["lr"] == opt.param_groups[0]["lr"]


@pytest.mark.parametrize("how", ["deepcopy", "torch.save"])
def test_a_pickled_optimizer_continues_where_it_was(how, tmp_path):
    import copy

    w = param(3)
    opt = dt.Adam([w], lr=0.1)
    w.grad = torch.full((3,), 0.5, dtype=torch.float64)
    opt.step()
    if how == "deepcopy":
        again = copy.deepcopy(opt)
    else:
        torch.save(opt, tmp_path / "opt.pt")
        # A whole object, not tensors: torch >= 2.6 loads only weights unless told otherwise.
        again = torch.load(tmp_path / "opt.pt", weights_only=False)
    (v,) = again.param_groups[0]["params"]  # the copy's own parameter, at the copy's value
    torch.testing.assert_close(v.detach(), w.detach(), rtol=0, atol=0)
    again.load_state_dict(opt.state_dict())  # loading into a copy works before its first step too
    v.grad = w.grad.clone()
    for o in (opt, again):
        o.step()
    torch.testing.assert_close(v.detach(), w.detach(), rtol=0, atol=0)
    assert float(again.state[v]["step"]) == 2.0
