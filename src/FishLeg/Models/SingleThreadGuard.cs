using System;
using System.Threading;

namespace FishLeg;

/// <summary>
/// Detects a second thread entering a model while another is inside it: a model instance owns one workspace, so two
/// concurrent passes would silently mix their values.
/// </summary>
internal struct SingleThreadGuard
{
    private int _busy;

    /// <summary>Marks the model busy, or throws if it already is.</summary>
    public void Enter(string model)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException(
                $"Model '{model}' is in use on another thread. A model instance is single-threaded: give each thread its own instance.");
    }

    /// <summary>Marks the model free again; call it from a finally block after a successful <see cref="Enter"/>.</summary>
    public void Exit() => Volatile.Write(ref _busy, 0);
}
