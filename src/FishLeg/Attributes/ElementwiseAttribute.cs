using System;

namespace FishLeg;

/// <summary>
/// Marks a method of a <see cref="FishLegModelAttribute"/> class as an activation the generator differentiates: a
/// <c>static double F(double x)</c> whose body is one expression of x and constants (docs/activations.md lists the
/// grammar). A layer uses it by name, <c>[Dense(256, ActivationFunction = nameof(F))]</c>; the generator derives F′ and
/// F″, simplifies them and emits vectorized code for the forward, backward, tangent and Hessian passes. The method
/// stays an ordinary method: calling it gives the value the model computes.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ElementwiseAttribute : Attribute;
