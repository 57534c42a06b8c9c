//! The one safetensors reader and writer (the format of `safetensors.torch.save_file`):
//! an 8-byte little-endian header length, a JSON header mapping names to
//! `{dtype, shape, data_offsets}` (plus optional string `__metadata__`), then the raw data.
//! Floating tensors are read as f32 (F64, F16, BF16 converted), integer tensors as i32
//! (values outside the i32 range are an error). Every inconsistency is an error that names the
//! file, the tensor and the byte offset.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Element values of a tensor.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    /// Floating-point values.
    F32(Vec<f32>),
    /// Integer values.
    I32(Vec<i32>),
}

/// One named tensor of a safetensors file.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// Tensor name (e.g. `weight_ih_l0`).
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// The dtype stored in the file (`F32`, `F16`, `I64`, …).
    pub dtype: String,
    /// Values.
    pub data: TensorData,
}

/// Contents of a safetensors file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SafetensorsFile {
    /// Tensors in file order (sorted by data offset).
    pub tensors: Vec<NamedTensor>,
    /// The `__metadata__` string map.
    pub metadata: BTreeMap<String, String>,
}

const MAX_HEADER: u64 = 100 * 1024 * 1024;

fn dtype_size(dtype: &str) -> Option<usize> {
    Some(match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        "I8" | "U8" | "BOOL" => 1,
        _ => return None,
    })
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = if exp == 0 {
        if mant == 0 {
            sign
        } else {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut m = mant;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | ((e as u32) << 23) | ((m & 0x3ff) << 13)
        }
    } else if exp == 0x1f {
        sign | 0x7f80_0000 | (mant << 13)
    } else {
        sign | ((exp + 127 - 15) << 23) | (mant << 13)
    };
    f32::from_bits(bits)
}

/// Parses safetensors bytes; `path` is only used in error messages.
pub fn parse(bytes: &[u8], path: &str) -> Result<SafetensorsFile> {
    let err = |message: String| Error::Format { path: path.to_string(), message };
    if bytes.len() < 8 {
        return Err(err(format!("not a safetensors file: {} bytes, the 8-byte header length alone needs 8", bytes.len())));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    if n > MAX_HEADER || 8 + n > bytes.len() as u64 {
        return Err(err(format!("header length {n} (bytes 0..8) exceeds the file size {} — truncated or not a safetensors file", bytes.len())));
    }
    let header = &bytes[8..8 + n as usize];
    let text = std::str::from_utf8(header).map_err(|e| err(format!("header is not UTF-8 at byte {}", 8 + e.valid_up_to())))?;
    let value: Value = serde_json::from_str(text).map_err(|e| err(format!("header JSON is invalid at line {} column {}: {e}", e.line(), e.column())))?;
    let Value::Object(obj) = value else {
        return Err(err("header JSON must be an object".into()));
    };
    let data = &bytes[8 + n as usize..];
    let data_start = 8 + n as usize;
    let mut out = SafetensorsFile::default();
    let mut spans = Vec::new();
    for (name, entry) in obj {
        if name == "__metadata__" {
            let Value::Object(m) = entry else {
                return Err(err("__metadata__ must be an object of strings".into()));
            };
            for (k, v) in m {
                let Value::String(s) = v else {
                    return Err(err(format!("__metadata__['{k}'] must be a string")));
                };
                out.metadata.insert(k, s);
            }
            continue;
        }
        let t = parse_entry(&name, &entry, data, data_start).map_err(err)?;
        spans.push((t.1, t.2, name.clone()));
        out.tensors.push(t.0);
    }
    // The data section must be covered exactly, without overlaps or holes.
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, spans[i].1));
    let mut expect = 0usize;
    for &i in &order {
        let (b, e, ref name) = spans[i];
        if b != expect {
            return Err(err(format!("tensor '{name}' starts at data offset {b} (file byte {}), expected {expect}: overlapping or missing data", data_start + b)));
        }
        expect = e;
    }
    if expect != data.len() {
        return Err(err(format!("data section has {} bytes but the tensors cover {expect} (file is {} bytes)", data.len(), bytes.len())));
    }
    let tensors = std::mem::take(&mut out.tensors);
    let mut sorted: Vec<(usize, NamedTensor)> = tensors.into_iter().enumerate().map(|(i, t)| (spans[i].0, t)).collect();
    sorted.sort_by_key(|(b, _)| *b);
    out.tensors = sorted.into_iter().map(|(_, t)| t).collect();
    Ok(out)
}

fn parse_entry(name: &str, entry: &Value, data: &[u8], data_start: usize) -> std::result::Result<(NamedTensor, usize, usize), String> {
    let Value::Object(e) = entry else {
        return Err(format!("tensor '{name}': header entry must be an object"));
    };
    let dtype = e.get("dtype").and_then(Value::as_str).ok_or_else(|| format!("tensor '{name}': missing string 'dtype'"))?;
    let size = dtype_size(dtype).ok_or_else(|| format!("tensor '{name}': unsupported dtype '{dtype}'"))?;
    let shape: Vec<usize> = e
        .get("shape")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("tensor '{name}': missing array 'shape'"))?
        .iter()
        .map(|v| v.as_u64().map(|x| x as usize).ok_or_else(|| format!("tensor '{name}': shape entries must be non-negative integers")))
        .collect::<std::result::Result<_, _>>()?;
    let offs = e.get("data_offsets").and_then(Value::as_array).ok_or_else(|| format!("tensor '{name}': missing 'data_offsets'"))?;
    if offs.len() != 2 {
        return Err(format!("tensor '{name}': data_offsets must be [begin, end]"));
    }
    let b = offs[0].as_u64().ok_or_else(|| format!("tensor '{name}': bad data_offsets"))? as usize;
    let en = offs[1].as_u64().ok_or_else(|| format!("tensor '{name}': bad data_offsets"))? as usize;
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or_else(|| format!("tensor '{name}': shape {shape:?} overflows"))?;
    if en < b || en - b != count * size {
        return Err(format!("tensor '{name}': data_offsets [{b}, {en}] hold {} bytes, but {dtype} {shape:?} needs {}", en.saturating_sub(b), count * size));
    }
    if en > data.len() {
        return Err(format!("tensor '{name}': data ends at file byte {} but the file has only {} bytes — truncated", data_start + en, data_start + data.len()));
    }
    let raw = &data[b..en];
    let tensor_data = match dtype {
        "F32" => TensorData::F32(raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()),
        "F64" => TensorData::F32(raw.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32).collect()),
        "F16" => TensorData::F32(raw.chunks_exact(2).map(|c| f16_to_f32(u16::from_le_bytes(c.try_into().unwrap()))).collect()),
        "BF16" => TensorData::F32(raw.chunks_exact(2).map(|c| f32::from_bits((u16::from_le_bytes(c.try_into().unwrap()) as u32) << 16)).collect()),
        _ => {
            let mut v = Vec::with_capacity(count);
            for (i, c) in raw.chunks_exact(size).enumerate() {
                let x: i64 = match dtype {
                    "I64" => i64::from_le_bytes(c.try_into().unwrap()),
                    "U64" => u64::from_le_bytes(c.try_into().unwrap()).min(i64::MAX as u64) as i64,
                    "I32" => i32::from_le_bytes(c.try_into().unwrap()) as i64,
                    "U32" => u32::from_le_bytes(c.try_into().unwrap()) as i64,
                    "I16" => i16::from_le_bytes(c.try_into().unwrap()) as i64,
                    "U16" => u16::from_le_bytes(c.try_into().unwrap()) as i64,
                    "I8" => c[0] as i8 as i64,
                    _ => c[0] as i64,
                };
                let y = i32::try_from(x).map_err(|_| format!("tensor '{name}': element {i} = {x} does not fit in int32"))?;
                v.push(y);
            }
            TensorData::I32(v)
        }
    };
    Ok((NamedTensor { name: name.to_string(), shape, dtype: dtype.to_string(), data: tensor_data }, b, en))
}

/// Reads a safetensors file.
pub fn load(path: &Path) -> Result<SafetensorsFile> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
    parse(&bytes, &path.display().to_string())
}

/// Serialises tensors (F32 for float data, I32 for integer data) and string metadata.
pub fn serialize(tensors: &[NamedTensor], metadata: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let mut header = Map::new();
    if !metadata.is_empty() {
        header.insert("__metadata__".into(), Value::Object(metadata.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()));
    }
    let mut offset = 0usize;
    let mut seen = std::collections::HashSet::new();
    for t in tensors {
        if t.name == "__metadata__" || t.name.is_empty() {
            return Err(Error::invalid("tensors", format!("'{}' is not a valid tensor name", t.name)));
        }
        if !seen.insert(t.name.as_str()) {
            return Err(Error::invalid("tensors", format!("tensor name '{}' appears twice", t.name)));
        }
        let (dtype, len) = match &t.data {
            TensorData::F32(v) => ("F32", v.len()),
            TensorData::I32(v) => ("I32", v.len()),
        };
        let count: usize = t.shape.iter().product();
        if count != len {
            return Err(Error::invalid(format!("tensors['{}']", t.name), format!("shape {:?} needs {count} values, got {len}", t.shape)));
        }
        let mut e = Map::new();
        e.insert("dtype".into(), Value::String(dtype.into()));
        e.insert("shape".into(), Value::Array(t.shape.iter().map(|&d| Value::from(d)).collect()));
        e.insert("data_offsets".into(), Value::Array(vec![Value::from(offset), Value::from(offset + 4 * len)]));
        header.insert(t.name.clone(), Value::Object(e));
        offset += 4 * len;
    }
    let mut json = serde_json::to_vec(&Value::Object(header)).expect("header serialises");
    while !(8 + json.len()).is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + json.len() + offset);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    for t in tensors {
        match &t.data {
            TensorData::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            TensorData::I32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        }
    }
    Ok(out)
}

/// Writes a safetensors file atomically.
pub fn save(path: &Path, tensors: &[NamedTensor], metadata: &BTreeMap<String, String>) -> Result<()> {
    let bytes = serialize(tensors, metadata)?;
    super::atomic::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<NamedTensor> {
        vec![
            NamedTensor { name: "b".into(), shape: vec![2, 2], dtype: "F32".into(), data: TensorData::F32(vec![1.0, -2.0, 3.5, 0.25]) },
            NamedTensor { name: "a".into(), shape: vec![3], dtype: "I32".into(), data: TensorData::I32(vec![1, 2, -3]) },
        ]
    }

    #[test]
    fn roundtrip_and_metadata() {
        let mut m = BTreeMap::new();
        m.insert("config".to_string(), "{\"x\":1}".to_string());
        let bytes = serialize(&sample(), &m).unwrap();
        let f = parse(&bytes, "mem").unwrap();
        assert_eq!(f.metadata, m);
        assert_eq!(f.tensors, sample());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = serialize(&sample(), &BTreeMap::new()).unwrap();
        for cut in 0..bytes.len() {
            let e = parse(&bytes[..cut], "t.safetensors").unwrap_err();
            assert!(e.to_string().starts_with("t.safetensors: "), "{e}");
        }
    }

    #[test]
    fn corrupt_header_is_an_error() {
        let mut bytes = serialize(&sample(), &BTreeMap::new()).unwrap();
        bytes[9] = b'#';
        assert!(parse(&bytes, "x").unwrap_err().to_string().contains("JSON"));
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(parse(&huge, "x").unwrap_err().to_string().contains("exceeds"));
    }

    #[test]
    fn f16_conversion() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7c00).is_infinite());
    }
}
