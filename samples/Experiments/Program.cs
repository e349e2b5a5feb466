using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Numerics;
using FishLeg.Kernels;
using FishLeg.Optimizers;

namespace FishLeg.Experiments;

/// <summary>
/// The command line: with no command, the deep autoencoder (the README's main job); `deep-linear`, `classifier` and
/// `cnn` run the other experiments. Every default is printed by --help.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses <paramref name="args"/> and runs the chosen experiment, writing its report to <paramref name="output"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // SGD-momentum at torch's lr 1e-3: 1e-2 diverges on this model within the first epoch and 3e-3 stalls at a loss of
        // 384 (measured on the shipped data). FishLeg's defaults were measured on this job (docs/fishleg-vs-adam.md).
        var autoencoder = new ExperimentOptions(epochs: 10, batch: 100, "sgd,adam,fishleg,kfac,adafisher", fashionMnist: true,
            sgdLearningRate: 1e-3, adamLearningRate: 1e-3, new FishLegOptions(),
            // The summed 784-pixel loss has large curvature: kfac-pytorch's γ = 1e-3 and AdaFisher's λ = 1e-3 diverge here.
            // One-epoch searches on the full set chose these (docs/natural-gradient-family.md, "Choosing K-FAC's and AdaFisher's settings").
            new KfacOptions { Damping = 0.3, KlClip = 1e-2, FactorUpdateEvery = 10, InverseUpdateEvery = 20 },
            new AdaFisherOptions { LearningRate = 3e-3, Damping = 0.15 });
        var root = new RootCommand(
            "Trains the deep autoencoder 784-1000-500-250-30-250-500-1000-784 on Fashion-MNIST with SGD-momentum, Adam, " +
            "FishLeg, K-FAC and AdaFisher on the same data, seed and batches, and writes a CSV, loss plots and reconstructions to --out.");
        autoencoder.AddTo(root);
        var distributed = new Option<bool>("--distributed")
        {
            Description = "Train data-parallel over the MPI job (start with: mpirun -np N dotnet Experiments.dll --distributed …); rank 0 reports",
        };
        root.Options.Add(distributed);
        root.SetAction(parsed => Guarded(error, () => AutoencoderExperiment.Run(new AutoencoderOptions(
            autoencoder.Settings(parsed), autoencoder.Contenders<float>(parsed), parsed.GetValue(autoencoder.Data),
            parsed.GetValue(autoencoder.TrainSize), parsed.GetValue(autoencoder.TestSize), parsed.GetValue(distributed)), output)));

        // The paper's values for Fig. 1: η = 0.04, α = 1e-3, β = 0.9, η_SGDm = 2e-3, η_Adam = 2e-4; γ = 1e-3, T = 1.
        // η_SGDm is in the paper's momentum convention m ← βm + (1 − β)g: torch's SGD lr (1 − β)·η_SGDm = 2e-4.
        var deepLinear = new ExperimentOptions(epochs: null, batch: 40, "sgd,adam,fishleg", fashionMnist: false,
            sgdLearningRate: 2e-4, adamLearningRate: 2e-4, FishLegOptions.PaperTable1 with
            {
                LearningRate = 0.04, AuxiliaryLearningRate = 1e-3, InitialSgdLearningRate = 2e-3, Damping = 1e-3,
                UpdateAuxEvery = 1, WeightDecay = 0,
            });
        var samples = new Option<int>("--samples") { Description = "Training examples: 4000, or 40 for the small-data regime (there pass --damping 1e-2: at 1e-3 FishLeg diverges after about 2,500 iterations)", DefaultValueFactory = _ => 4000 };
        var noise = new Option<double>("--noise") { Description = "Standard deviation of the noise on the teacher's outputs", DefaultValueFactory = _ => 1e-3 };
        var problemSeed = new Option<ulong>("--problem-seed") { Description = "Seeds the teacher and the data", DefaultValueFactory = _ => 101 };
        var deepLinearCommand = new Command("deep-linear",
            "The paper's Fig. 1: a 20-layer, width-20 linear network trained on a random teacher's noisy outputs; train and test " +
            "loss against epochs and wall-clock with the noise floor. --epochs defaults to 20,000 iterations' worth.");
        deepLinear.AddTo(deepLinearCommand);
        deepLinearCommand.Options.Add(samples);
        deepLinearCommand.Options.Add(noise);
        deepLinearCommand.Options.Add(problemSeed);
        deepLinearCommand.SetAction(parsed => Guarded(error, () =>
        {
            int count = parsed.GetValue(samples);
            if (count < 1) throw new ArgumentException($"--samples must be at least 1, not {count}.");
            TrainingSettings settings = deepLinear.Settings(parsed);
            if (settings.Epochs == 0) settings = settings with { Epochs = Math.Max(1, 20000 / Math.Max(1, count / settings.BatchSize)) }; // not given
            DeepLinearExperiment.Run(new DeepLinearOptions(settings, deepLinear.Contenders<double>(parsed), count,
                parsed.GetValue(noise), parsed.GetValue(problemSeed)), output);
        }));
        root.Subcommands.Add(deepLinearCommand);

        var classifier = new ExperimentOptions(epochs: 5, batch: 100, "sgd,adam,fishleg,kfac,adafisher", fashionMnist: true,
            sgdLearningRate: 0.01, adamLearningRate: 1e-3, FishLegOptions.PaperTable1 with
            {
                // Starts as SGD-momentum at torch's lr 0.1 (η_SGDm = 1 in the paper's convention, docs/math.md §4), the usual
                // rate for such a classifier; α = 1e-3 lets Q adapt within the first epoch (measured on the shipped data:
                // 83.5% test accuracy after 2 epochs, against 80.8% with α = 1e-4).
                LearningRate = 0.05, InitialSgdLearningRate = 1, AuxiliaryLearningRate = 1e-3,
                MomentumOn = MomentumTarget.PreconditionedGradient, WeightDecayMode = WeightDecayMode.Decoupled,
            },
            // Measured on the shipped data (docs/natural-gradient-family.md, "The classifier"): kfac-pytorch's γ = 1e-3
            // overfits (82.2%, test loss 1.27), γ = 0.1 reaches 86.2%; AdaFisher's code average 78.1%, the paper's 83.9%.
            new KfacOptions { Damping = 0.1 }, new AdaFisherOptions { Averaging = AdaFisherAveraging.Paper });
        var classifierCommand = new Command("classifier",
            "A Fashion-MNIST classifier 784-256-10 trained with SGD-momentum, Adam, FishLeg, K-FAC and AdaFisher, with the test " +
            "accuracy after every epoch.");
        classifier.AddTo(classifierCommand);
        var layerNorm = new Option<bool>("--layer-norm")
        {
            Description = "Normalize the hidden layer: 784-256, LayerNorm, ReLU, 10 (as nn.LayerNorm); writes classifier-layernorm.csv and its plot",
        };
        classifierCommand.Options.Add(layerNorm);
        var swish = new Option<bool>("--swish")
        {
            Description = "Use Swish, x·σ(x), from its [Elementwise] definition in place of ReLU; writes classifier-swish.csv and its plot",
        };
        classifierCommand.Options.Add(swish);
        classifierCommand.SetAction(parsed => Guarded(error, () => ClassifierExperiment.Run(new ClassifierOptions(
            classifier.Settings(parsed), classifier.Contenders<float>(parsed), parsed.GetValue(classifier.Data),
            parsed.GetValue(classifier.TrainSize), parsed.GetValue(classifier.TestSize), parsed.GetValue(layerNorm), parsed.GetValue(swish)), output)));
        root.Subcommands.Add(classifierCommand);

        // The classifier's settings, re-measured on the CNN (docs/natural-gradient-family.md, "The CNN"): FishLeg at η 0.1
        // (0.05: train loss 0.239 after 5 epochs, 0.1: 0.236; γ 0.03 or 0.1 and α 1e-2 no better); K-FAC's factors every
        // 10 steps and inverses every 20 reach the loss of factors every step in a quarter of the time (24.8 against
        // 93.6 ms per iteration: the second convolution's A is 401×401 over 19,600 patch rows).
        var cnn = new ExperimentOptions(epochs: 5, batch: 100, "sgd,adam,fishleg,kfac,adafisher", fashionMnist: true,
            sgdLearningRate: 0.01, adamLearningRate: 1e-3, classifier.FishLegDefaults with { LearningRate = 0.1 },
            new KfacOptions { Damping = 0.1, FactorUpdateEvery = 10, InverseUpdateEvery = 20 },
            new AdaFisherOptions { Averaging = AdaFisherAveraging.Paper });
        var cnnCommand = new Command(ClassifierExperiment.CnnName,
            "A Fashion-MNIST CNN (two 5×5 convolutions with max pooling, then a dense softmax layer) trained with SGD-momentum, " +
            "Adam, FishLeg, K-FAC and AdaFisher, with the test accuracy after every epoch.");
        cnn.AddTo(cnnCommand);
        cnnCommand.SetAction(parsed => Guarded(error, () => ClassifierExperiment.RunCnn(new ClassifierOptions(
            cnn.Settings(parsed), cnn.Contenders<float>(parsed), parsed.GetValue(cnn.Data),
            parsed.GetValue(cnn.TrainSize), parsed.GetValue(cnn.TestSize)), output)));
        root.Subcommands.Add(cnnCommand);

        // The autoencoder's FishLeg settings, on the frozen model.
        var curvature = new ExperimentOptions(epochs: null, batch: 100, "fishleg", fashionMnist: true,
            sgdLearningRate: 1e-3, adamLearningRate: 1e-3, autoencoder.FishLegDefaults);
        var sgdIterations = new Option<int>("--sgd-iterations") { Description = "SGD-momentum iterations before the model is frozen", DefaultValueFactory = _ => 200 };
        var updates = new Option<int>("--updates") { Description = "Auxiliary updates on the frozen model", DefaultValueFactory = _ => 300 };
        var checkEvery = new Option<int>("--check-every") { Description = "Solve for the optimum A* at every N-th update (a conjugate-gradient solve each)", DefaultValueFactory = _ => 30 };
        var curvatureCommand = new Command(CurvatureExperiment.Name,
            "Freezes the autoencoder after some SGD-momentum iterations and reports how close FishLeg's auxiliary loss comes to its optimum −½uᵀ(F + γI)⁻¹u.");
        curvature.AddTo(curvatureCommand, training: false);
        foreach (Option option in new Option[] { sgdIterations, updates, checkEvery }) curvatureCommand.Options.Add(option);
        curvatureCommand.SetAction(parsed => Guarded(error, () =>
        {
            TrainingSettings settings = curvature.Settings(parsed);
            int warmup = parsed.GetValue(sgdIterations), count = parsed.GetValue(updates), every = parsed.GetValue(checkEvery);
            if (warmup < 0) throw new ArgumentException($"--sgd-iterations must not be negative, not {warmup}.");
            if (count < 1) throw new ArgumentException($"--updates must be at least 1, not {count}.");
            if (every < 1) throw new ArgumentException($"--check-every must be at least 1, not {every}.");
            CurvatureExperiment.Run(new CurvatureOptions(settings.BatchSize, settings.AuxiliaryBatchSize, settings.Seed, settings.OutputFolder,
                curvature.FishLeg(parsed), warmup, count, every, parsed.GetValue(curvature.Data), parsed.GetValue(curvature.TrainSize)), output);
        }));
        root.Subcommands.Add(curvatureCommand);

        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>Runs an experiment; a bad option, a missing or corrupt file is one clear line on stderr and exit code 1.</summary>
    private static int Guarded(TextWriter error, Action run)
    {
        try
        {
            run();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or DllNotFoundException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}

/// <summary>The options every experiment shares, with that experiment's defaults.</summary>
internal sealed class ExperimentOptions
{
    private static readonly string[] Known = ["sgd", "adam", "fishleg", "kfac", "adafisher"];
    private readonly Option<int?> _epochs;
    private readonly Option<int> _batch, _threads;
    private readonly Option<string> _optimizers, _out;
    private readonly Option<ulong> _seed;
    private readonly Option<bool> _save, _resume;
    private readonly Option<double> _sgdLearningRate, _momentum, _adamLearningRate, _fishLegLearningRate, _damping, _auxiliaryLearningRate, _initialSgdLearningRate;
    private readonly Option<int> _auxiliaryEvery, _earlyAuxiliary, _auxiliarySteps, _auxiliaryRamp, _warmStart;
    private readonly Option<int?> _auxiliaryBatch;
    private readonly Option<QForm?> _qForm;
    private readonly Option<MomentumTarget> _momentumOn;
    private readonly Option<AuxiliaryScaling> _auxiliaryScaling;
    private readonly Option<double> _kfacLearningRate, _kfacDamping, _klClip, _fishLegKlClip, _adaFisherLearningRate, _adaFisherDamping;
    private readonly Option<int> _adaFisherEvery;
    private readonly Option<int> _kfacFactorEvery, _kfacInverseEvery;
    private readonly Option<KfacFisher> _kfacFisher;
    private readonly Option<KfacInverse> _kfacInverse;
    private readonly Option<bool> _kfacAdaptiveDamping;
    private readonly Option<AdaFisherAveraging> _adaFisherAveraging;
    private readonly FishLegOptions _fishLeg;
    private readonly bool _fashionMnist;

    /// <param name="epochs">The default number of epochs; null when the experiment computes it (TrainingSettings.Epochs is then 0).</param>
    /// <param name="kfac">K-FAC's settings for this experiment (default: <see cref="KfacOptions"/>' own).</param>
    /// <param name="adaFisher">AdaFisher's settings for this experiment (default: <see cref="AdaFisherOptions"/>' own).</param>
    public ExperimentOptions(int? epochs, int batch, string optimizers, bool fashionMnist, double sgdLearningRate, double adamLearningRate, FishLegOptions fishLeg,
        KfacOptions? kfac = null, AdaFisherOptions? adaFisher = null)
    {
        _fishLeg = fishLeg;
        _fashionMnist = fashionMnist;
        _epochs = new("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => epochs };
        _batch = new("--batch") { Description = "Minibatch size", DefaultValueFactory = _ => batch };
        _optimizers = new("--optimizers") { Description = "Comma-separated, run in this order: sgd, adam, fishleg, kfac, adafisher", DefaultValueFactory = _ => optimizers };
        _seed = new("--seed") { Description = "Seeds the initial parameters and the batch order (the same for every optimizer)", DefaultValueFactory = _ => 1 };
        _threads = new("--threads") { Description = "Threads for the matrix products (default: one per core)", DefaultValueFactory = _ => Environment.ProcessorCount };
        _out = new("--out") { Description = "Output folder for the CSV, plots and checkpoints", DefaultValueFactory = _ => "results" };
        _save = new("--save-checkpoints") { Description = "Save each run's model and optimizer state after every epoch (in --out)" };
        _resume = new("--resume") { Description = "Continue each run from its checkpoint in --out, bit-exactly, when there is one" };
        _sgdLearningRate = new("--sgd-lr") { Description = "SGD-momentum's learning rate (torch.optim.SGD convention)", DefaultValueFactory = _ => sgdLearningRate };
        _momentum = new("--momentum") { Description = "SGD-momentum's momentum", DefaultValueFactory = _ => 0.9 };
        _adamLearningRate = new("--adam-lr") { Description = "Adam's learning rate (β = 0.9, 0.999)", DefaultValueFactory = _ => adamLearningRate };
        _fishLegLearningRate = new("--fishleg-lr") { Description = "FishLeg's learning rate η", DefaultValueFactory = _ => fishLeg.LearningRate };
        _damping = new("--damping") { Description = "FishLeg's damping γ", DefaultValueFactory = _ => fishLeg.Damping };
        _auxiliaryLearningRate = new("--aux-lr") { Description = "FishLeg's auxiliary Adam learning rate α", DefaultValueFactory = _ => fishLeg.AuxiliaryLearningRate };
        _initialSgdLearningRate = new("--sgd-init-lr") { Description = "FishLeg's η_SGDm: Q starts as (η_SGDm/η)·I", DefaultValueFactory = _ => fishLeg.InitialSgdLearningRate };
        _auxiliaryEvery = new("--aux-every") { Description = "FishLeg's T: an auxiliary update every T steps", DefaultValueFactory = _ => fishLeg.UpdateAuxEvery };
        _earlyAuxiliary = new("--early-aux") { Description = "FishLeg: an auxiliary update at every step during the first N steps", DefaultValueFactory = _ => fishLeg.EarlyAuxiliarySteps };
        _auxiliarySteps = new("--aux-steps") { Description = "FishLeg: Adam steps on λ per auxiliary update", DefaultValueFactory = _ => fishLeg.AuxiliaryStepsPerUpdate };
        _auxiliaryRamp = new("--aux-ramp") { Description = "FishLeg: α ramps linearly over the first N Adam steps on λ", DefaultValueFactory = _ => fishLeg.AuxiliaryRampSteps };
        _warmStart = new("--warm-start") { Description = "FishLeg: Q's diagonal set to 1/(mean g² + γ) after this many steps (0: none)", DefaultValueFactory = _ => fishLeg.WarmStartSteps };
        _auxiliaryScaling = new("--aux-scaling") { Description = "FishLeg's auxiliary Adam: a second moment per entry of λ (PerEntry) or per matrix (PerMatrix)", DefaultValueFactory = _ => fishLeg.AuxiliaryScaling };
        _auxiliaryBatch = new("--aux-batch") { Description = "FishLeg's auxiliary batch size (default: the minibatch size)" };
        _qForm = new("--q-form") { Description = "FishLeg's Q form for every layer (default: each layer's declared form)" };
        _momentumOn = new("--momentum-on") { Description = "FishLeg's momentum on the gradient (Gradient) or on Q·g (PreconditionedGradient)", DefaultValueFactory = _ => fishLeg.MomentumOn };
        kfac ??= new KfacOptions();
        _kfacLearningRate = new("--kfac-lr") { Description = "K-FAC's learning rate η", DefaultValueFactory = _ => kfac.LearningRate };
        _kfacDamping = new("--kfac-damping") { Description = "K-FAC's damping γ (Cholesky: split between the factors by π; Eigen: added to the eigenvalue products)", DefaultValueFactory = _ => kfac.Damping };
        _klClip = new("--kl-clip") { Description = "K-FAC's KL clip κ (0: off)", DefaultValueFactory = _ => kfac.KlClip };
        _fishLegKlClip = new("--fishleg-kl-clip") { Description = "FishLeg: the KL clip κ on its step (0: off)", DefaultValueFactory = _ => fishLeg.KlClip };
        _kfacFactorEvery = new("--kfac-factor-every") { Description = "K-FAC: update the Kronecker factors every N steps", DefaultValueFactory = _ => kfac.FactorUpdateEvery };
        _kfacInverseEvery = new("--kfac-inverse-every") { Description = "K-FAC: recompute the damped inverses (or the eigendecompositions) every N steps", DefaultValueFactory = _ => kfac.InverseUpdateEvery };
        _kfacFisher = new("--kfac-fisher") { Description = "K-FAC's factors from sampled targets (Sampled, the true Fisher) or the batch's labels (Empirical)", DefaultValueFactory = _ => kfac.Fisher };
        _kfacInverse = new("--kfac-inverse") { Description = "K-FAC: Cholesky inverses with factored damping (Cholesky) or eigendecompositions with exact damping (Eigen)", DefaultValueFactory = _ => kfac.Inverse };
        _kfacAdaptiveDamping = new("--kfac-adaptive-damping") { Description = "K-FAC: adapt γ by the Levenberg–Marquardt rule every 5 steps (--kfac-damping is its start)", DefaultValueFactory = _ => kfac.AdaptiveDamping };
        adaFisher ??= new AdaFisherOptions();
        _adaFisherAveraging = new("--adafisher-averaging") { Description = "AdaFisher's running average of its diagonals: the authors' code (Code) or the paper's (Paper)", DefaultValueFactory = _ => adaFisher.Averaging };
        _adaFisherLearningRate = new("--adafisher-lr") { Description = "AdaFisher's learning rate η", DefaultValueFactory = _ => adaFisher.LearningRate };
        _adaFisherDamping = new("--adafisher-damping") { Description = "AdaFisher's λ, added to its diagonal Fisher", DefaultValueFactory = _ => adaFisher.Damping };
        _adaFisherEvery = new("--tcov") { Description = "AdaFisher: update the diagonal factors every N steps", DefaultValueFactory = _ => adaFisher.CurvatureUpdateEvery };
        Data = new("--data") { Description = $"A folder with the Fashion-MNIST (or MNIST) IDX files; default: {FashionMnist.DebianFolder} when installed, else the shipped test split" };
        TrainSize = new("--train-size") { Description = "Use only the first N training images" };
        TestSize = new("--test-size") { Description = "Use only the first N test images" };
    }

    public Option<string?> Data { get; }
    public Option<int?> TrainSize { get; }
    public Option<int?> TestSize { get; }

    /// <summary>FishLeg's settings before the command line overrides them.</summary>
    public FishLegOptions FishLegDefaults => _fishLeg;

    /// <param name="training">False for a command that trains no contenders: it then takes neither the epochs, the optimizers, checkpoints nor the baselines' rates.</param>
    public void AddTo(Command command, bool training = true)
    {
        foreach (Option option in training ? new Option[] { _epochs, _batch, _optimizers, _seed, _threads, _out, _save, _resume } : [_batch, _seed, _threads, _out])
            command.Options.Add(option);
        if (_fashionMnist)
            foreach (Option option in training ? new Option[] { Data, TrainSize, TestSize } : [Data, TrainSize]) command.Options.Add(option);
        if (training)
            foreach (Option option in new Option[] { _sgdLearningRate, _momentum, _adamLearningRate, _kfacLearningRate, _kfacDamping, _klClip,
                         _kfacFactorEvery, _kfacInverseEvery, _kfacFisher, _kfacInverse, _kfacAdaptiveDamping,
                         _adaFisherLearningRate, _adaFisherDamping, _adaFisherEvery, _adaFisherAveraging })
                command.Options.Add(option);
        foreach (Option option in new Option[] { _fishLegLearningRate, _damping,
                     _auxiliaryLearningRate, _initialSgdLearningRate, _auxiliaryEvery, _earlyAuxiliary, _auxiliarySteps, _auxiliaryRamp, _auxiliaryScaling, _warmStart, _fishLegKlClip, _auxiliaryBatch, _qForm, _momentumOn })
            command.Options.Add(option);
    }

    /// <summary>The shared settings; also applies --threads to the worker pool.</summary>
    public TrainingSettings Settings(ParseResult parsed)
    {
        int? epochs = parsed.GetValue(_epochs);
        int batch = parsed.GetValue(_batch), threads = parsed.GetValue(_threads);
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1, not {epochs}.");
        if (batch < 1) throw new ArgumentException($"--batch must be at least 1, not {batch}.");
        if (threads < 1) throw new ArgumentException($"--threads must be at least 1, not {threads}.");
        if (parsed.GetValue(_auxiliaryBatch) is int auxiliaryBatch and < 1) throw new ArgumentException($"--aux-batch must be at least 1, not {auxiliaryBatch}.");
        if (_fashionMnist && parsed.GetValue(TrainSize) is < 1) throw new ArgumentException("--train-size must be at least 1.");
        if (_fashionMnist && parsed.GetValue(TestSize) is < 1) throw new ArgumentException("--test-size must be at least 1.");
        WorkerPool.Shared.Parallelism = threads;
        return new TrainingSettings(epochs ?? 0, batch, parsed.GetValue(_seed), parsed.GetValue(_out)!,
            parsed.GetValue(_save), parsed.GetValue(_resume), AuxiliaryBatch: parsed.GetValue(_auxiliaryBatch));
    }

    /// <summary>The optimizers named by --optimizers, built with the command line's hyper-parameters.</summary>
    public IReadOnlyList<Contender<T>> Contenders<T>(ParseResult parsed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string[] names = parsed.GetValue(_optimizers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? unknown = names.FirstOrDefault(n => !Known.Contains(n, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null) throw new ArgumentException($"--optimizers: unknown optimizer '{unknown}'; choose from {string.Join(", ", Known)}.");
        if (names.Length == 0) throw new ArgumentException($"--optimizers: name at least one of {string.Join(", ", Known)}.");
        FishLegOptions fishLeg = FishLeg(parsed);
        return names.Distinct(StringComparer.OrdinalIgnoreCase).Select(name => name.ToLowerInvariant() switch
        {
            "sgd" => Contender<T>.SgdMomentum(parsed.GetValue(_sgdLearningRate), parsed.GetValue(_momentum)),
            "adam" => Contender<T>.Adam(parsed.GetValue(_adamLearningRate)),
            "kfac" => Contender<T>.Kfac(new KfacOptions
            {
                LearningRate = parsed.GetValue(_kfacLearningRate), Damping = parsed.GetValue(_kfacDamping), KlClip = parsed.GetValue(_klClip),
                FactorUpdateEvery = parsed.GetValue(_kfacFactorEvery), InverseUpdateEvery = parsed.GetValue(_kfacInverseEvery),
                Fisher = parsed.GetValue(_kfacFisher), Inverse = parsed.GetValue(_kfacInverse),
                AdaptiveDamping = parsed.GetValue(_kfacAdaptiveDamping), Seed = parsed.GetValue(_seed),
            }),
            "adafisher" => Contender<T>.AdaFisher(new AdaFisherOptions
            {
                LearningRate = parsed.GetValue(_adaFisherLearningRate), Damping = parsed.GetValue(_adaFisherDamping),
                CurvatureUpdateEvery = parsed.GetValue(_adaFisherEvery), Averaging = parsed.GetValue(_adaFisherAveraging),
            }),
            _ => Contender<T>.FishLeg(fishLeg),
        }).ToList();
    }

    /// <summary>FishLeg's settings with the command line's values.</summary>
    public FishLegOptions FishLeg(ParseResult parsed) => _fishLeg with
    {
        LearningRate = parsed.GetValue(_fishLegLearningRate), Damping = parsed.GetValue(_damping),
        AuxiliaryLearningRate = parsed.GetValue(_auxiliaryLearningRate), InitialSgdLearningRate = parsed.GetValue(_initialSgdLearningRate),
        UpdateAuxEvery = parsed.GetValue(_auxiliaryEvery), EarlyAuxiliarySteps = parsed.GetValue(_earlyAuxiliary),
        AuxiliaryStepsPerUpdate = parsed.GetValue(_auxiliarySteps), AuxiliaryRampSteps = parsed.GetValue(_auxiliaryRamp),
        AuxiliaryScaling = parsed.GetValue(_auxiliaryScaling), WarmStartSteps = parsed.GetValue(_warmStart), KlClip = parsed.GetValue(_fishLegKlClip),
        MomentumOn = parsed.GetValue(_momentumOn), Seed = parsed.GetValue(_seed), QForm = parsed.GetValue(_qForm) ?? _fishLeg.QForm,
    };
}
