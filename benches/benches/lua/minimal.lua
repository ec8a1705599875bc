-- The smallest useful script: one output, the close itself.
indicator { outputs = { { name = "value" } } }

function calculate()
  return { value = close }
end
