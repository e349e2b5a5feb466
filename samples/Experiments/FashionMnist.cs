using System;
using System.IO;
using FishLeg.Experiments.Data;

namespace FishLeg.Experiments;

/// <summary>
/// Where the Fashion-MNIST images come from: a folder given with --data, else the Debian package
/// dataset-fashion-mnist, else the test split shipped beside the program (split into training and held-out images).
/// </summary>
public sealed record FashionMnist(LabeledImages Train, LabeledImages Test, string Description)
{
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";
    private const string TrainImages = "train-images-idx3-ubyte", TrainLabels = "train-labels-idx1-ubyte",
        TestImages = "t10k-images-idx3-ubyte", TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>Of the shipped 10,000 test images, the last this many are held out for evaluation; the rest train.</summary>
    public const int EmbeddedHeldOut = 1000;

    /// <summary>
    /// Loads the data, keeping at most <paramref name="trainSize"/> and <paramref name="testSize"/> images when given.
    /// A folder with only the test split is split like the shipped one.
    /// </summary>
    public static FashionMnist Load(string? folder, int? trainSize, int? testSize)
    {
        string source;
        if (folder is not null)
        {
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The data folder '{folder}' does not exist.");
            source = $"Fashion-MNIST from {folder}";
        }
        else if (Find(DebianFolder, TrainImages) is not null)
        {
            folder = DebianFolder;
            source = $"Fashion-MNIST from the Debian package dataset-fashion-mnist ({DebianFolder})";
        }
        else
        {
            folder = Path.Combine(AppContext.BaseDirectory, "Data", "FashionMnist");
            source = "the Fashion-MNIST test split shipped with the sample (install dataset-fashion-mnist or pass --data DIR for the 60,000-image training split)";
        }

        LabeledImages test = LabeledImages.Load(Required(folder, TestImages), Required(folder, TestLabels));
        FashionMnist data;
        if (Find(folder, TrainImages) is null)
        {
            if (test.Count <= EmbeddedHeldOut)
                throw new InvalidDataException($"'{folder}' has no training split, and its {test.Count} test images are too few to split off {EmbeddedHeldOut}.");
            data = new FashionMnist(Slice(test, 0, test.Count - EmbeddedHeldOut), Slice(test, test.Count - EmbeddedHeldOut, EmbeddedHeldOut),
                $"{source}; no training split there, so the first {test.Count - EmbeddedHeldOut:N0} test images train and the last {EmbeddedHeldOut:N0} are held out");
        }
        else
        {
            LabeledImages train = LabeledImages.Load(Required(folder, TrainImages), Required(folder, TrainLabels));
            data = new FashionMnist(train, test, $"{source}: {train.Count:N0} training images, {test.Count:N0} test images");
        }
        return data with
        {
            Train = Slice(data.Train, 0, Math.Min(trainSize ?? data.Train.Count, data.Train.Count)),
            Test = Slice(data.Test, 0, Math.Min(testSize ?? data.Test.Count, data.Test.Count)),
        };
    }

    /// <summary>The IDX file named <paramref name="name"/> in <paramref name="folder"/>, gzip-compressed or not.</summary>
    private static string? Find(string folder, string name) =>
        File.Exists(Path.Combine(folder, name + ".gz")) ? Path.Combine(folder, name + ".gz")
        : File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : null;

    private static string Required(string folder, string name) =>
        Find(folder, name) ?? throw new FileNotFoundException($"'{folder}' has no {name} or {name}.gz (an IDX file of Fashion-MNIST or MNIST).");

    private static LabeledImages Slice(LabeledImages images, int start, int count)
    {
        int size = images.Rows * images.Columns;
        return images with
        {
            Pixels = images.Pixels.AsSpan(start * size, count * size).ToArray(),
            Labels = images.Labels.AsSpan(start, count).ToArray(),
        };
    }
}
