using System;
using System.Buffers.Binary;
using System.Numerics;

namespace FishLeg.Training;

/// <summary>CRC-32C (Castagnoli), the checksum of iSCSI and ext4, on the processor's CRC instruction where it has one.</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        int i = 0;
        for (; i <= data.Length - 8; i += 8) crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++) crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }
}
