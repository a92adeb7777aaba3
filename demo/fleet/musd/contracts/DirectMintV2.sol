// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";
import "./Interfaces.sol";

/// 1:1 USDC -> mUSD minting and mUSD -> USDC redemption. USDC goes to the
/// Treasury. supplyCap() mirrors MUSD.supplyCap(), which is where the
/// runbook's "cast call $DIRECT_MINT supplyCap()" reads it.
contract DirectMintV2 is PausableRoles {
    IMUSD public immutable musd;
    IERC20Like public immutable usdc;
    address public immutable treasury;
    uint256 public immutable scale;

    event Minted(address indexed user, uint256 usdcIn, uint256 musdOut);
    event Redeemed(address indexed user, uint256 musdIn, uint256 usdcOut);

    constructor(address musd_, address usdc_, address treasury_) {
        musd = IMUSD(musd_);
        usdc = IERC20Like(usdc_);
        treasury = treasury_;
        uint8 d = IERC20Like(usdc_).decimals();
        require(d <= 18, "DirectMintV2: bad decimals");
        scale = 10 ** (18 - d);
    }

    function supplyCap() external view returns (uint256) {
        return musd.supplyCap();
    }

    function remainingMintable() external view returns (uint256) {
        uint256 cap = musd.supplyCap();
        uint256 supply = musd.totalSupply();
        return cap > supply ? cap - supply : 0;
    }

    function mint(uint256 usdcAmount) external whenNotPaused returns (uint256 musdOut) {
        require(usdcAmount > 0, "DirectMintV2: zero amount");
        musdOut = usdcAmount * scale;
        require(musd.totalSupply() + musdOut <= musd.supplyCap(), "DirectMintV2: supply cap exceeded");
        require(usdc.transferFrom(msg.sender, treasury, usdcAmount), "DirectMintV2: transfer failed");
        musd.mint(msg.sender, musdOut);
        emit Minted(msg.sender, usdcAmount, musdOut);
    }

    function redeem(uint256 musdAmount) external whenNotPaused returns (uint256 usdcOut) {
        usdcOut = musdAmount / scale;
        require(usdcOut > 0, "DirectMintV2: zero amount");
        musd.burn(msg.sender, usdcOut * scale);
        ITreasury(treasury).withdrawTo(msg.sender, usdcOut);
        emit Redeemed(msg.sender, usdcOut * scale, usdcOut);
    }
}
