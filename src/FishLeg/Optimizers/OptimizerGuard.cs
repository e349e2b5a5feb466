using System;

namespace FishLeg.Optimizers;

internal static class OptimizerGuard
{
    public static void CheckLengths(int expected, int parameters, int gradient)
    {
        if (parameters != expected)
            throw new ArgumentException($"The optimizer was created for {expected} parameters but was given {parameters}.", nameof(parameters));
        if (gradient != expected)
            throw new ArgumentException($"The gradient holds {gradient} values but there are {expected} parameters.", nameof(gradient));
    }
}
