using System;
using System.Numerics;

namespace FishLeg.Kernels;

/// <summary>
/// An optimizer's whole element-wise update in one pass over its arrays, split over the worker pool. Parameter updates
/// are memory-bound: one fused pass reads and writes each array once, where a chain of TensorPrimitives calls reads and
/// writes them once per operation. Pointers are only valid during <see cref="Run"/>, inside the caller's fixed block.
/// </summary>
internal abstract unsafe class UpdateKernel<T> : IParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    // Below this many elements, waking a worker costs more than it saves.
    private const int ParallelThreshold = 1 << 16;

    protected int Length;

    /// <summary>Runs <see cref="Update"/> over [0, length), in two or more parts when it is long enough.</summary>
    protected void Run(int length)
    {
        Length = length;
        int parts = length >= ParallelThreshold ? WorkerPool.Shared.Parallelism : 1;
        WorkerPool.Shared.Run(this, parts);
    }

    public void Execute(int part, int parts)
    {
        // Part boundaries on whole vectors, so every part but the last is vector-only.
        int vectors = Length / Vector<T>.Count, perPart = (vectors + parts - 1) / parts;
        int start = Math.Min(part * perPart, vectors) * Vector<T>.Count;
        int end = part == parts - 1 ? Length : Math.Min((part + 1) * perPart, vectors) * Vector<T>.Count;
        if (start < end) Update(start, end);
    }

    /// <summary>Updates elements [start, end).</summary>
    protected abstract void Update(int start, int end);
}

/// <summary>
/// torch.optim.SGD's update: d = s·g + wd·θ; b = μ·b + (1 − dampening)·d (b = d at the first step); θ −= lr·(Nesterov ? d + μ·b : b).
/// s scales the gradient (K-FAC's KL clip; 1 for plain SGD).
/// </summary>
internal sealed unsafe class SgdMomentumKernel<T> : UpdateKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T* _theta, _gradient, _buffer;
    private T _learningRate, _momentum, _undamped, _weightDecay, _scale;
    private bool _first, _nesterov;

    public void Step(Span<T> parameters, ReadOnlySpan<T> gradient, Span<T> buffer, double learningRate, double momentum,
        double dampening, double weightDecay, bool first, bool nesterov, double gradientScale = 1)
    {
        fixed (T* theta = parameters, g = gradient, b = buffer)
        {
            _theta = theta;
            _gradient = g;
            _buffer = b;
            _learningRate = T.CreateChecked(learningRate);
            _momentum = T.CreateChecked(momentum);
            _undamped = T.CreateChecked(1 - dampening);
            _weightDecay = T.CreateChecked(weightDecay);
            _scale = T.CreateChecked(gradientScale);
            (_first, _nesterov) = (first, nesterov);
            Run(parameters.Length);
            _theta = _gradient = _buffer = null;
        }
    }

    protected override void Update(int start, int end)
    {
        int i = start;
        var lr = new Vector<T>(_learningRate);
        var mu = new Vector<T>(_momentum);
        var undamped = new Vector<T>(_undamped);
        var decay = new Vector<T>(_weightDecay);
        var scale = new Vector<T>(_scale);
        for (; i <= end - Vector<T>.Count; i += Vector<T>.Count)
        {
            Vector<T> theta = Vector.Load(_theta + i);
            Vector<T> d = scale * Vector.Load(_gradient + i) + decay * theta;
            Vector<T> b = _first ? d : mu * Vector.Load(_buffer + i) + undamped * d;
            b.Store(_buffer + i);
            (theta - lr * (_nesterov ? d + mu * b : b)).Store(_theta + i);
        }
        for (; i < end; i++)
        {
            T d = _scale * _gradient[i] + _weightDecay * _theta[i];
            T b = _first ? d : _momentum * _buffer[i] + _undamped * d;
            _buffer[i] = b;
            _theta[i] -= _learningRate * (_nesterov ? d + _momentum * b : b);
        }
    }
}

/// <summary>
/// torch.optim.Adam's update: d = g + wd·θ; m = β₁m + (1 − β₁)d; v = β₂v + (1 − β₂)d²;
/// θ −= (lr/c₁)·m / (√v/√c₂ + ε), with the bias corrections c = 1 − βᵗ.
/// </summary>
internal sealed unsafe class AdamKernel<T> : UpdateKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T* _theta, _gradient, _m, _v;
    private T _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _weightDecay, _stepSize, _inverseRootCorrection2, _epsilon;

    public void Step(Span<T> parameters, ReadOnlySpan<T> gradient, Span<T> m, Span<T> v, double learningRate, double beta1,
        double beta2, double epsilon, double weightDecay, long step)
    {
        fixed (T* theta = parameters, g = gradient, pm = m, pv = v)
        {
            _theta = theta;
            _gradient = g;
            _m = pm;
            _v = pv;
            _beta1 = T.CreateChecked(beta1);
            _oneMinusBeta1 = T.CreateChecked(1 - beta1);
            _beta2 = T.CreateChecked(beta2);
            _oneMinusBeta2 = T.CreateChecked(1 - beta2);
            _weightDecay = T.CreateChecked(weightDecay);
            _stepSize = T.CreateChecked(learningRate / (1 - Math.Pow(beta1, step)));
            _inverseRootCorrection2 = T.CreateChecked(1 / Math.Sqrt(1 - Math.Pow(beta2, step)));
            _epsilon = T.CreateChecked(epsilon);
            Run(parameters.Length);
            _theta = _gradient = _m = _v = null;
        }
    }

    protected override void Update(int start, int end)
    {
        int i = start;
        var beta1 = new Vector<T>(_beta1);
        var oneMinusBeta1 = new Vector<T>(_oneMinusBeta1);
        var beta2 = new Vector<T>(_beta2);
        var oneMinusBeta2 = new Vector<T>(_oneMinusBeta2);
        var decay = new Vector<T>(_weightDecay);
        var stepSize = new Vector<T>(_stepSize);
        var inverseRoot = new Vector<T>(_inverseRootCorrection2);
        var epsilon = new Vector<T>(_epsilon);
        for (; i <= end - Vector<T>.Count; i += Vector<T>.Count)
        {
            Vector<T> theta = Vector.Load(_theta + i);
            Vector<T> d = Vector.Load(_gradient + i) + decay * theta;
            Vector<T> m = beta1 * Vector.Load(_m + i) + oneMinusBeta1 * d;
            Vector<T> v = beta2 * Vector.Load(_v + i) + oneMinusBeta2 * (d * d);
            m.Store(_m + i);
            v.Store(_v + i);
            (theta - stepSize * m / (Vector.SquareRoot(v) * inverseRoot + epsilon)).Store(_theta + i);
        }
        for (; i < end; i++)
        {
            T d = _gradient[i] + _weightDecay * _theta[i];
            T m = _beta1 * _m[i] + _oneMinusBeta1 * d;
            T v = _beta2 * _v[i] + _oneMinusBeta2 * (d * d);
            _m[i] = m;
            _v[i] = v;
            _theta[i] -= _stepSize * m / (T.Sqrt(v) * _inverseRootCorrection2 + _epsilon);
        }
    }
}

/// <summary>
/// FishLeg's θ update (docs/math.md §4) in one pass: with momentum on Q·g, m = βm + (1 − β)Δ first; then
/// θ −= η·(d + wd·θ) with d = m (momentum on Q·g) or d = Δ = Q·m (momentum on g), wd the decoupled weight decay.
/// </summary>
internal sealed unsafe class FishLegUpdateKernel<T> : UpdateKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T* _theta, _delta, _momentum;
    private T _learningRate, _beta, _oneMinusBeta, _weightDecay;
    private bool _blend;

    /// <summary>Updates <paramref name="parameters"/>; with <paramref name="blend"/>, folds <paramref name="delta"/> into <paramref name="momentum"/> first and steps along the momentum.</summary>
    public void Step(Span<T> parameters, ReadOnlySpan<T> delta, Span<T> momentum, double learningRate, double beta, double weightDecay, bool blend)
    {
        fixed (T* theta = parameters, d = delta, m = momentum)
        {
            _theta = theta;
            _delta = d;
            _momentum = m;
            _learningRate = T.CreateChecked(learningRate);
            _beta = T.CreateChecked(beta);
            _oneMinusBeta = T.CreateChecked(1 - beta);
            _weightDecay = T.CreateChecked(weightDecay);
            _blend = blend;
            Run(parameters.Length);
            _theta = _delta = _momentum = null;
        }
    }

    protected override void Update(int start, int end)
    {
        int i = start;
        var lr = new Vector<T>(_learningRate);
        var beta = new Vector<T>(_beta);
        var oneMinusBeta = new Vector<T>(_oneMinusBeta);
        var decay = new Vector<T>(_weightDecay);
        for (; i <= end - Vector<T>.Count; i += Vector<T>.Count)
        {
            Vector<T> theta = Vector.Load(_theta + i), d = Vector.Load(_delta + i);
            if (_blend)
            {
                d = beta * Vector.Load(_momentum + i) + oneMinusBeta * d;
                d.Store(_momentum + i);
            }
            (theta - lr * (d + decay * theta)).Store(_theta + i);
        }
        for (; i < end; i++)
        {
            T d = _delta[i];
            if (_blend) _momentum[i] = d = _beta * _momentum[i] + _oneMinusBeta * d;
            _theta[i] -= _learningRate * (d + _weightDecay * _theta[i]);
        }
    }
}

/// <summary>
/// Finds a value that is NaN or infinite, in one pass split over the worker pool: x − x is exactly 0 for every finite x
/// and NaN otherwise, so the check needs no sum that could overflow.
/// </summary>
internal sealed unsafe class NonFiniteSearchKernel<T> : UpdateKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T* _values;
    private int _first;

    /// <summary>The index of the first value that is not finite, or −1.</summary>
    public int IndexOfNonFinite(ReadOnlySpan<T> values)
    {
        fixed (T* v = values)
        {
            _values = v;
            _first = int.MaxValue;
            Run(values.Length);
            _values = null;
        }
        return _first == int.MaxValue ? -1 : _first;
    }

    protected override void Update(int start, int end)
    {
        int i = start;
        for (; i <= end - Vector<T>.Count; i += Vector<T>.Count)
        {
            Vector<T> x = Vector.Load(_values + i);
            if (!Vector.EqualsAll(x - x, Vector<T>.Zero)) break;
        }
        for (; i < end; i++)
        {
            if (T.IsFinite(_values[i])) continue;
            // Keep the smallest index any part found.
            for (int seen = _first; i < seen; seen = _first)
                if (System.Threading.Interlocked.CompareExchange(ref _first, i, seen) == seen) break;
            return;
        }
    }
}
