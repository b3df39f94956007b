// placeholder: replaced by the module it names
#pragma once
