using System;
using FishLeg.Kernels;
using FishLeg.Optimizers;
using FishLeg.Experiments;
using FishLeg.Tests.Optimizers;
using Xunit;

namespace FishLeg.Tests.Models;

/// <summary>The hot path allocates nothing once warm: forward, backward and the optimizer update, on both cores.</summary>
public class AllocationTests
{
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void SteadyStateTrainingStepAllocatesNothing(string optimizerName)
    {
        const int Batch = 100;
        Assert.True(WorkerPool.Shared.ThreadCount >= 2 || Environment.ProcessorCount == 1);
        var model = new Autoencoder(Batch, seed: 1);
        IOptimizer<float> optimizer = optimizerName == "adam"
            ? new Adam<float>(Autoencoder.ParameterCount)
            : new SgdMomentum<float>(Autoencoder.ParameterCount, learningRate: 0.01);
        var random = new SeededRandom(2);
        var inputs = new float[Batch * Autoencoder.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();

        void Step(int rows)
        {
            ReadOnlySpan<float> x = inputs.AsSpan(0, rows * Autoencoder.InputCount);
            model.LossAndGradient(x, x);
            optimizer.Step(model.Parameters, model.Gradient);
        }
        Step(Batch);
        Step(37); // a short last batch takes the same path

        long before = GC.GetAllocatedBytesForCurrentThread();
        Step(Batch);
        Step(37);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SteadyStateCurvatureProductsAllocateNothing()
    {
        const int Batch = 100;
        var model = new Autoencoder(Batch, seed: 1);
        var random = new SeededRandom(3);
        var inputs = new float[Batch * Autoencoder.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();
        var direction = new float[Autoencoder.ParameterCount];
        for (int i = 0; i < direction.Length; i++) direction[i] = (float)random.NextGaussian();
        var product = new float[Autoencoder.ParameterCount];

        void Products()
        {
            model.FisherVectorProduct(inputs, direction, product);
            model.HessianVectorProduct(inputs, inputs, direction, product);
        }
        Products();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Products();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>K-FAC on the autoencoder: steps with a factor update (the sampled pass), an inverse update, and neither.</summary>
    [Theory]
    [InlineData(KfacFisher.Sampled, 100)]
    [InlineData(KfacFisher.Empirical, 100)]
    [InlineData(KfacFisher.Sampled, 1000)] // the dense preconditioning
    public void SteadyStateKfacStepAllocatesNothing(KfacFisher fisher, int batch)
    {
        var model = new Autoencoder(batch, seed: 1);
        var optimizer = new KfacOptimizer<float>(model, new KfacOptions { Fisher = fisher, FactorUpdateEvery = 2, InverseUpdateEvery = 3 });
        Assert.Equal(batch == 100, optimizer.LowRankLayerCount > 0);
        var random = new SeededRandom(4);
        var inputs = new float[batch * Autoencoder.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();
        void Step()
        {
            model.LossAndGradient(inputs, inputs);
            optimizer.Step(inputs);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 1; k < 7; k++) Step(); // factor updates at 2, 4, 6; inverses at 3, 6
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// K-FAC's eigen option and adaptive damping (its Fisher product and loss evaluations) on a small double net: steps
    /// with and without a decomposition and an adaptation.
    /// </summary>
    [Theory]
    [InlineData(KfacInverse.Eigen, false)]
    [InlineData(KfacInverse.Eigen, true)]
    [InlineData(KfacInverse.Cholesky, true)]
    public void SteadyStateKfacStepWithEigenOrAdaptiveDampingAllocatesNothing(KfacInverse inverse, bool adaptive)
    {
        var model = new TwoLayerNet(4, seed: 1);
        var optimizer = new KfacOptimizer<double>(model, new KfacOptions
        {
            Inverse = inverse, AdaptiveDamping = adaptive, DampingAdaptationEvery = 2, FactorUpdateEvery = 2, InverseUpdateEvery = 3,
        });
        var (inputs, targets) = SmallNets.Batch(model.Description, 4, seed: 2);
        void Step()
        {
            model.LossAndGradient(inputs, targets);
            optimizer.Step(inputs, targets);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 1; k < 7; k++) Step(); // factors and adaptations at 2, 4, 6; decompositions at 3, 6
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>AdaFisher and AdaFisherW on the autoencoder, with and without a diagonal update, with either running average.</summary>
    [Theory]
    [InlineData(false, AdaFisherAveraging.Code)]
    [InlineData(true, AdaFisherAveraging.Code)]
    [InlineData(false, AdaFisherAveraging.Paper)]
    public void SteadyStateAdaFisherStepAllocatesNothing(bool decoupled, AdaFisherAveraging averaging)
    {
        const int Batch = 100;
        var model = new Autoencoder(Batch, seed: 1);
        var optimizer = new AdaFisherOptimizer<float>(model, new AdaFisherOptions
        {
            CurvatureUpdateEvery = 2, WeightDecay = 1e-4, DecoupledWeightDecay = decoupled, Averaging = averaging,
        });
        var random = new SeededRandom(4);
        var inputs = new float[Batch * Autoencoder.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();
        void Step()
        {
            model.LossAndGradient(inputs, inputs);
            optimizer.Step();
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step(); // without a diagonal update
        Step(); // with one
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(MomentumTarget.Gradient, CurvatureEstimator.Fisher, WeightDecayMode.Coupled)]
    [InlineData(MomentumTarget.PreconditionedGradient, CurvatureEstimator.Fisher, WeightDecayMode.Coupled)]
    [InlineData(MomentumTarget.PreconditionedGradient, CurvatureEstimator.Fisher, WeightDecayMode.Decoupled)] // the low-rank Q·g
    [InlineData(MomentumTarget.PreconditionedGradient, CurvatureEstimator.Fisher, WeightDecayMode.Decoupled, 1e-3)] // and the KL clip
    [InlineData(MomentumTarget.Gradient, CurvatureEstimator.SampledLabelHessian, WeightDecayMode.Coupled)]
    [InlineData(MomentumTarget.Gradient, CurvatureEstimator.MonteCarloFisher, WeightDecayMode.Coupled)]
    public void SteadyStateFishLegStepWithAuxiliaryUpdateAllocatesNothing(MomentumTarget momentum, CurvatureEstimator curvature, WeightDecayMode weightDecay,
        double klClip = 0)
    {
        const int Batch = 100;
        var model = new Autoencoder(Batch, seed: 1);
        var optimizer = new FishLegOptimizer<float>(model, new FishLegOptions
        {
            UpdateAuxEvery = 2, EarlyAuxiliarySteps = 0, MomentumOn = momentum, Curvature = curvature, WeightDecayMode = weightDecay, KlClip = klClip,
        });
        var random = new SeededRandom(4);
        var inputs = new float[Batch * Autoencoder.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();

        void Step()
        {
            model.LossAndGradient(inputs, inputs);
            optimizer.Step(inputs);
        }
        Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step(); // k = 2: with the auxiliary update
        Step(); // k = 3: without
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2, optimizer.AuxiliaryUpdateCount);
        // The low-rank case takes the factored auxiliary gradient on the wide layers.
        Assert.Equal(weightDecay == WeightDecayMode.Decoupled, optimizer.FactoredAuxiliaryLayerCount > 0);
    }

    public static TheoryData<QForm, AuxiliaryScaling> FormsAndScalings
    {
        get
        {
            var data = new TheoryData<QForm, AuxiliaryScaling>();
            foreach (QForm form in Enum.GetValues<QForm>())
                foreach (AuxiliaryScaling scaling in Enum.GetValues<AuxiliaryScaling>()) data.Add(form, scaling);
            return data;
        }
    }

    /// <summary>Every Q form and auxiliary Adam, with several ramped auxiliary steps per update.</summary>
    [Theory]
    [MemberData(nameof(FormsAndScalings))]
    public void EveryQFormStepsWithoutAllocating(QForm form, AuxiliaryScaling scaling)
    {
        const int Batch = 16;
        var model = new RegressionNet(Batch, seed: 1);
        var optimizer = new FishLegOptimizer<float>(model, new FishLegOptions
        {
            UpdateAuxEvery = 1, QForm = form, AuxiliaryScaling = scaling, AuxiliaryStepsPerUpdate = 2, AuxiliaryRampSteps = 10,
        });
        var random = new SeededRandom(5);
        var inputs = new float[Batch * RegressionNet.InputCount];
        var targets = new float[Batch * RegressionNet.OutputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextGaussian();
        void Step()
        {
            model.LossAndGradient(inputs, targets);
            optimizer.Step(inputs);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// Every optimizer on the CNN (convolutions, max pooling, flatten): steady-state steps with and without their
    /// curvature updates, and both curvature products.
    /// </summary>
    public static TheoryData<string, string> SpatialAndNormalizedModels
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string model in new[] { "FashionCnn", "NormalizedClassifier" })
                foreach (string optimizer in new[] { "sgd", "adam", "fishleg", "kfac", "adafisher" }) data.Add(model, optimizer);
            return data;
        }
    }

    /// <summary>The convolutional model and one with layer normalizations: every optimizer and both curvature products.</summary>
    [Theory]
    [MemberData(nameof(SpatialAndNormalizedModels))]
    public void SteadyStateStepOfAConvolutionalOrNormalizedModelAllocatesNothing(string modelName, string optimizerName)
    {
        const int Batch = 8;
        IFishLegModel<float> model = modelName == "FashionCnn" ? new FashionCnn(Batch, seed: 1) : new NormalizedClassifier(Batch, seed: 1);
        int inputCount = model.Description.Inputs, outputCount = model.Description.Outputs, parameterCount = model.Description.ParameterCount;
        var random = new SeededRandom(6);
        var inputs = new float[Batch * inputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();
        var targets = new float[Batch * outputCount];
        for (int n = 0; n < Batch; n++) targets[n * outputCount + n % outputCount] = 1;
        var sgd = new SgdMomentum<float>(parameterCount, learningRate: 0.01, momentum: 0.9);
        var adam = new Adam<float>(parameterCount);
        var fishLeg = new FishLegOptimizer<float>(model, new FishLegOptions { UpdateAuxEvery = 2, EarlyAuxiliarySteps = 0 });
        var kfac = new KfacOptimizer<float>(model, new KfacOptions { FactorUpdateEvery = 2, InverseUpdateEvery = 3 });
        var adaFisher = new AdaFisherOptimizer<float>(model, new AdaFisherOptions { CurvatureUpdateEvery = 2 });
        var direction = new float[parameterCount];
        var product = new float[parameterCount];
        void Step()
        {
            model.LossAndGradient(inputs, targets);
            switch (optimizerName)
            {
                case "sgd": sgd.Step(model.Parameters, model.Gradient); break;
                case "adam": adam.Step(model.Parameters, model.Gradient); break;
                case "fishleg": fishLeg.Step(inputs); break;
                case "kfac": kfac.Step(inputs); break;
                default: adaFisher.Step(); break;
            }
            model.FisherVectorProduct(inputs, direction, product);
            model.HessianVectorProduct(inputs, targets, direction, product);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 1; k < 7; k++) Step(); // curvature updates at 2, 4, 6; K-FAC's inverses at 3, 6
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
