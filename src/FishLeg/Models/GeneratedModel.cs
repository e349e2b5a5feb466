using System;
using System.ComponentModel;
using System.Numerics;

namespace FishLeg.CompilerServices;

/// <summary>
/// For use by generated code: everything a generated model does that does not depend on its layers. The generated part
/// derives from it and supplies the four passes over its own workspace; this class checks every argument, keeps the
/// factor bookkeeping and the single-thread guard, and combines the passes with the likelihood head.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="THead">The likelihood head.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GeneratedModel<T, THead> : IFishLegModel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where THead : ILikelihoodHead<T>
{
    private readonly ModelDescription _description;
    private readonly int _maxBatchSize, _inputs, _outputs;
    private readonly T _sigma;
    private readonly T[] _parameters, _gradient;
    // Copies of the inputs of the last gradient and of the last Fisher product: the first layer's factors.
    private readonly T[] _gradientInputs, _productInputs;
    private int _gradientBatchSize;
    // Rows of the last Fisher product whose factors CurvatureFactors returns; 0 once another pass has run.
    private int _productBatchSize;
    private SingleThreadGuard _guard;

    /// <summary>Sizes the parameters and the input copies; the generated constructor sizes its workspace, then initializes.</summary>
    protected GeneratedModel(ModelDescription description, int maxBatchSize, double sigma)
    {
        _description = description;
        _inputs = description.Inputs;
        _outputs = description.Outputs;
        _sigma = T.CreateChecked(sigma);
        _gradientInputs = new T[BatchShape.BufferLength(maxBatchSize, _inputs)];
        _productInputs = new T[_gradientInputs.Length];
        _maxBatchSize = maxBatchSize;
        _parameters = new T[description.ParameterCount];
        _gradient = new T[description.ParameterCount];
    }

    /// <inheritdoc/>
    public ModelDescription Description => _description;

    /// <inheritdoc/>
    public int MaxBatchSize => _maxBatchSize;

    /// <inheritdoc/>
    public Span<T> Parameters => _parameters;

    /// <inheritdoc/>
    public ReadOnlySpan<T> Gradient => _gradient;

    /// <summary>Runs every layer and returns the last layer's output; keeps Z and A for the other passes.</summary>
    protected abstract ReadOnlySpan<T> __Forward(ReadOnlySpan<T> parameters, ReadOnlySpan<T> inputs, int batch);

    /// <summary>Back-propagates the output delta (<see cref="__OutputDelta"/>) into <paramref name="gradient"/>, keeping every D and E.</summary>
    protected abstract void __Backward(ReadOnlySpan<T> parameters, ReadOnlySpan<T> inputs, int batch, Span<T> gradient);

    /// <summary>The tangent (R-op) forward pass along <paramref name="direction"/>; returns the output tangent.</summary>
    protected abstract ReadOnlySpan<T> __TangentForward(ReadOnlySpan<T> parameters, ReadOnlySpan<T> inputs, int batch, ReadOnlySpan<T> direction);

    /// <summary>Back-propagates the output tangent delta (<see cref="__OutputTangentDelta"/>) into <paramref name="product"/>.</summary>
    protected abstract void __TangentBackward(ReadOnlySpan<T> parameters, ReadOnlySpan<T> inputs, int batch, ReadOnlySpan<T> direction, Span<T> product, bool hessian);

    /// <summary>The last layer's D = ∂loss/∂A, batch rows.</summary>
    protected abstract Span<T> __OutputDelta(int batch);

    /// <summary>The last layer's Ḋ, where the tangent backward pass starts, batch rows.</summary>
    protected abstract Span<T> __OutputTangentDelta(int batch);

    /// <summary>Layer <paramref name="layer"/>'s delta (E, or Ė with <paramref name="tangent"/>) and, for layers after the first, its input.</summary>
    protected abstract void __Factors(int layer, int batch, bool tangent, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);

    /// <inheritdoc/>
    public void InitializeParameters(ulong seed)
    {
        _guard.Enter(_description.Name);
        try
        {
            var random = new SeededRandom(seed);
            foreach (LayerDescription layer in _description.Layers)
            {
                Span<T> block = _parameters.AsSpan(layer.Offset, layer.ParameterCount);
                if (layer.Kind == LayerKind.LayerNorm) WeightInitialization.ScaleAndShift(block); // γ = 1, β = 0, as PyTorch
                else WeightInitialization.Uniform(block, layer.Inputs, ref random);
            }
        }
        finally { _guard.Exit(); }
    }

    /// <inheritdoc/>
    public void Predict(ReadOnlySpan<T> inputs, Span<T> predictions)
    {
        _guard.Enter(_description.Name);
        try
        {
            int batch = Rows(inputs);
            BatchShape.RequireLength(predictions.Length, batch, _outputs, nameof(predictions));
            THead.Mean(Forward(inputs, batch), _outputs, predictions);
        }
        finally { _guard.Exit(); }
    }

    /// <inheritdoc/>
    public T Loss(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets)
    {
        _guard.Enter(_description.Name);
        try
        {
            int batch = Rows(inputs);
            RequireTargets(targets, batch);
            return THead.MeanLoss(Forward(inputs, batch), targets, _outputs, _sigma, __OutputDelta(batch));
        }
        finally { _guard.Exit(); }
    }

    /// <inheritdoc/>
    public T LossAndGradient(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets)
    {
        _guard.Enter(_description.Name);
        try
        {
            int batch = Rows(inputs);
            RequireTargets(targets, batch);
            T loss = THead.MeanLossAndResidual(Forward(inputs, batch), targets, _outputs, _sigma, __OutputDelta(batch));
            __Backward(_parameters, inputs, batch, _gradient);
            inputs.CopyTo(_gradientInputs); // the first layer's gradient factor
            _gradientBatchSize = batch;
            return loss;
        }
        finally { _guard.Exit(); }
    }

    int IFishLegModel<T>.GradientBatchSize => _gradientBatchSize;

    void IFishLegModel<T>.GradientFactors(int layer, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input) =>
        Factors(layer, _gradientBatchSize, tangent: false, _gradientInputs, out delta, out input);

    void IFishLegModel<T>.CurvatureFactors(int layer, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input)
    {
        if (_productBatchSize == 0)
            throw new InvalidOperationException("No Fisher product has run since the model last ran: call FisherVectorProduct or OuterProductFisherVectorProduct first.");
        Factors(layer, _productBatchSize, tangent: true, _productInputs, out delta, out input);
    }

    /// <inheritdoc/>
    public void FisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> direction, Span<T> product)
    {
        _guard.Enter(_description.Name);
        try
        {
            int batch = Rows(inputs);
            RequireVectors(direction, product);
            ReadOnlySpan<T> output = Forward(inputs, batch);
            THead.HessianProduct(output, __TangentForward(_parameters, inputs, batch, direction), _outputs, _sigma, __OutputTangentDelta(batch));
            __TangentBackward(_parameters, inputs, batch, direction, product, hessian: false);
            KeepProductFactors(inputs, batch);
        }
        finally { _guard.Exit(); }
    }

    /// <inheritdoc/>
    public void OuterProductFisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product)
    {
        _guard.Enter(_description.Name);
        try
        {
            int batch = Rows(inputs);
            RequireTargets(targets, batch);
            RequireVectors(direction, product);
            ReadOnlySpan<T> output = Forward(inputs, batch);
            Span<T> residual = __OutputDelta(batch);
            THead.MeanLossAndResidual(output, targets, _outputs, _sigma, residual);
            Likelihoods.OuterProductFisher.Seed<T>(residual, __TangentForward(_parameters, inputs, batch, direction), _outputs, __OutputTangentDelta(batch));
            __TangentBackward(_parameters, inputs, batch, direction, product, hessian: false);
            KeepProductFactors(inputs, batch);
        }
        finally { _guard.Exit(); }
    }

    /// <inheritdoc/>
    public void SampleTargets(ReadOnlySpan<T> inputs, ref SeededRandom random, Span<T> targets)
    {
        _guard.Enter(_description.Name);
        try
        {
            int batch = Rows(inputs);
            BatchShape.RequireLength(targets.Length, batch, _outputs, nameof(targets));
            THead.Sample(Forward(inputs, batch), _outputs, _sigma, ref random, targets);
        }
        finally { _guard.Exit(); }
    }

    /// <inheritdoc/>
    public void HessianVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product)
    {
        _guard.Enter(_description.Name);
        try
        {
            int batch = Rows(inputs);
            RequireTargets(targets, batch);
            RequireVectors(direction, product);
            ReadOnlySpan<T> output = Forward(inputs, batch);
            THead.MeanLossAndResidual(output, targets, _outputs, _sigma, __OutputDelta(batch));
            // The primal backward pass keeps every layer's D and E; its gradient is not needed, so product holds it until overwritten.
            __Backward(_parameters, inputs, batch, product);
            THead.HessianProduct(output, __TangentForward(_parameters, inputs, batch, direction), _outputs, _sigma, __OutputTangentDelta(batch));
            __TangentBackward(_parameters, inputs, batch, direction, product, hessian: true);
        }
        finally { _guard.Exit(); }
    }

    /// <summary>The forward pass; it replaces the activations a Fisher product's factors refer to.</summary>
    private ReadOnlySpan<T> Forward(ReadOnlySpan<T> inputs, int batch)
    {
        _productBatchSize = 0;
        return __Forward(_parameters, inputs, batch);
    }

    private int Rows(ReadOnlySpan<T> inputs) => BatchShape.Rows(inputs.Length, _inputs, _maxBatchSize, nameof(inputs));

    /// <summary>Targets of the batch's shape and in the likelihood's support, checked before any pass runs.</summary>
    private void RequireTargets(ReadOnlySpan<T> targets, int batch)
    {
        BatchShape.RequireLength(targets.Length, batch, _outputs, nameof(targets));
        THead.RequireTargets(targets, _outputs, nameof(targets));
    }

    private void RequireVectors(ReadOnlySpan<T> direction, Span<T> product)
    {
        BatchShape.RequireParameterLength(direction.Length, _parameters.Length, nameof(direction));
        BatchShape.RequireParameterLength(product.Length, _parameters.Length, nameof(product));
        BatchShape.RequireSeparate<T>(direction, product);
    }

    /// <summary>After a Fisher product: its inputs are the first layer's factor, and the factors are now valid.</summary>
    private void KeepProductFactors(ReadOnlySpan<T> inputs, int batch)
    {
        inputs.CopyTo(_productInputs);
        _productBatchSize = batch;
    }

    private void Factors(int layer, int batch, bool tangent, T[] firstInputs, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input)
    {
        if ((uint)layer >= (uint)_description.Layers.Count)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, "No such layer.");
        __Factors(layer, batch, tangent, out delta, out input);
        if (input.IsEmpty) input = firstInputs.AsSpan(0, batch * _inputs); // a first dense layer reads the batch itself
    }
}
